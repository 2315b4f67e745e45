// The delivery the workflows promise (docs/delivery.md), read from the
// workflows themselves: pull requests check and rehearse, and, opted in, get a
// preview stage that is smoke-tested, commented and removed on close; main is
// promoted staging -> smoke test -> production (behind each team's reviewers),
// one concurrency group per stage, the event bus before the services. The
// scripts steps run are run here as GitHub would run them where they can be.
// actionlint (the ci-checks lint-workflows target) checks the syntax.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
/** @type {{ parse(text: string): any }} */
const YAML = require('yaml');
/** @type {{ STAGE_SHAPE: RegExp, MAX_STAGE_LENGTH: number }} */
const { STAGE_SHAPE, MAX_STAGE_LENGTH } = require('@platform/serverless-base/lib/stage-names');

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** @param {string} name */
const workflow = (name) => YAML.parse(readFileSync(path.join(ROOT, '.github/workflows', name), 'utf8'));
const pr = workflow('pull-request.yml');
const deploy = workflow('deploy.yml');
const stage = workflow('deploy-stage.yml');
const service = workflow('deploy-service.yml');

/** Every `run:` of a job, joined. @param {any} job */
const runs = (job) => (job.steps ?? []).map((/** @type {any} */ step) => step.run ?? '').join('\n');
/** @param {any} job @param {string} name */
const stepNamed = (job, name) => {
  const step = (job.steps ?? []).find((/** @type {any} */ s) => s.name === name);
  assert.ok(step, `no step "${name}"`);
  return step;
};
/** Runs a step's script with bash, as GitHub does, with `env`. @param {any} step @param {Record<string, string>} env */
const runStep = (step, env) => spawnSync('bash', ['-e', '-c', step.run], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });

describe('pull-request.yml', () => {
  it('runs on opened, pushed, reopened and closed pull requests', () => {
    assert.deepEqual(pr.on.pull_request.types, ['opened', 'synchronize', 'reopened', 'closed']);
  });

  it('keeps the checks of the affected projects: lint, typecheck, test, package, cfn-lint, e2e', () => {
    const job = pr.jobs.affected;
    assert.equal(job.if, "${{ github.event.action != 'closed' }}");
    assert.match(runs(job), /npx nx affected -t lint typecheck test package/);
    assert.match(runs(job), /node tools\/policy\/cfn-lint\.mjs/);
    assert.match(runs(job), /npx nx affected -t e2e/);
    assert.equal(job.concurrency['cancel-in-progress'], true, 'a newer push cancels the older checks');
  });

  it('rehearses the deploy of the affected services on moto 5.2.1', () => {
    const job = pr.jobs.affected;
    assert.match(runs(job), /pip install .*'moto\[server\]==5\.2\.1'/);
    const rehearse = stepNamed(job, 'Rehearse the deploy of the affected services');
    assert.equal(rehearse.run, 'npm run rehearse -- --only "$ONLY"');
    assert.equal(rehearse.env.ONLY, '${{ steps.plan.outputs.only }}');
    assert.equal(stepNamed(job, 'Plan the preview').run, 'node tools/ci/deploy-plan.mjs --preview');
  });

  it('deploys a preview stage pr-<number> only when the repository opts in, never for a fork, after the checks', () => {
    const job = pr.jobs.preview;
    assert.equal(job.needs, 'affected');
    assert.match(job.if, /vars\.PREVIEW_STAGES == 'true'/);
    assert.match(job.if, /github\.event\.pull_request\.head\.repo\.full_name == github\.repository/);
    assert.equal(job.uses, './.github/workflows/deploy-stage.yml');
    assert.deepEqual(job.with, {
      stage: 'pr-${{ github.event.pull_request.number }}',
      kind: 'preview',
      bus: '${{ needs.affected.outputs.bus }}',
      services: '${{ needs.affected.outputs.services }}',
      smoke: true,
    });
    assert.equal(job.concurrency.group, 'preview-pr-${{ github.event.pull_request.number }}');
    assert.equal(job.concurrency['cancel-in-progress'], false, 'a deploy in flight is never cancelled half-way');
  });

  it('a preview stage name fits the stage rule for any pull request number up to 999999', () => {
    const longest = 'pr-999999';
    assert.match(longest, STAGE_SHAPE);
    assert.ok(longest.length <= MAX_STAGE_LENGTH, `${longest} is over the ${MAX_STAGE_LENGTH} characters a stage may have`);
  });

  it('says, in a job of its own, why a pull request gets no preview stage', () => {
    const job = pr.jobs['preview-off'];
    assert.match(job.if, /vars\.PREVIEW_STAGES != 'true'/);
    assert.match(job.if, /github\.event\.pull_request\.head\.repo\.full_name != github\.repository/);
    const step = stepNamed(job, 'No preview stage for this pull request');
    const off = runStep(step, { NUMBER: '7', FORK: 'false', GITHUB_STEP_SUMMARY: '/dev/null' });
    assert.equal(off.status, 0, off.stderr);
    assert.match(off.stdout, /^::notice title=Preview stage skipped::No preview stage pr-7: the repository variable PREVIEW_STAGES is not 'true'/);
    const fork = runStep(step, { NUMBER: '7', FORK: 'true', GITHUB_STEP_SUMMARY: '/dev/null' });
    assert.match(fork.stdout, /No preview stage pr-7: it comes from a fork/);
  });

  it('comments the preview’s URLs on the pull request', () => {
    const job = pr.jobs['preview-comment'];
    assert.equal(job.needs, 'preview');
    assert.deepEqual(job.permissions, { 'pull-requests': 'write' });
    assert.match(runs(job), /gh pr comment "\$NUMBER"/);
    const env = job.steps[0].env;
    assert.equal(env.ITEMS_URL, '${{ needs.preview.outputs.items-url }}');
    assert.equal(env.ORDERS_URL, '${{ needs.preview.outputs.orders-url }}');
  });

  it('removes the whole preview stage when the pull request closes: the services, then the bus, with their retained data', () => {
    const plan = pr.jobs['preview-plan-removal'];
    assert.match(plan.if, /github\.event\.action == 'closed'/);
    assert.match(plan.if, /vars\.PREVIEW_STAGES == 'true'/);
    assert.equal(plan.concurrency.group, pr.jobs.preview.concurrency.group, 'the removal waits for a preview deploy in flight');
    assert.match(runs(plan), /node tools\/ci\/deploy-plan\.mjs --preview --all/);
    for (const [name, list] of /** @type {const} */ ([['preview-remove-services', 'services'], ['preview-remove-bus', 'bus']])) {
      const job = pr.jobs[name];
      assert.equal(job.uses, './.github/workflows/deploy-service.yml', name);
      assert.equal(job.with.remove, true, name);
      assert.equal(job.with.stage, 'pr-${{ github.event.pull_request.number }}', name);
      assert.equal(job.with.environment, 'preview-${{ matrix.team }}', name);
      assert.equal(job.strategy.matrix.include, `\${{ fromJSON(needs.preview-plan-removal.outputs.${list}) }}`, name);
    }
    assert.deepEqual(pr.jobs['preview-remove-bus'].needs, ['preview-plan-removal', 'preview-remove-services']);
  });
});

describe('deploy.yml', () => {
  it('keeps the checks before anything deploys, and plans the deploy', () => {
    const job = deploy.jobs.verify;
    assert.match(runs(job), /npx nx affected -t lint typecheck test package/);
    assert.match(runs(job), /node tools\/policy\/cfn-lint\.mjs/);
    assert.match(runs(job), /npx nx affected -t e2e/);
    assert.equal(stepNamed(job, 'Plan the deploy').run, 'node tools/ci/deploy-plan.mjs');
  });

  it('promotes staging, with its smoke test, then production', () => {
    const { staging, production } = deploy.jobs;
    assert.equal(staging.needs, 'verify');
    assert.equal(staging.uses, './.github/workflows/deploy-stage.yml');
    assert.deepEqual({ stage: staging.with.stage, kind: staging.with.kind, smoke: staging.with.smoke }, { stage: 'staging', kind: 'staging', smoke: true });
    assert.deepEqual(production.needs, ['verify', 'staging'], 'production deploys only what passed staging and its smoke test');
    assert.equal(production.uses, './.github/workflows/deploy-stage.yml');
    assert.deepEqual({ stage: production.with.stage, kind: production.with.kind }, { stage: 'production', kind: 'production' });
    for (const job of [staging, production]) {
      assert.equal(job.with.bus, '${{ needs.verify.outputs.bus }}');
      assert.equal(job.with.services, '${{ needs.verify.outputs.services }}');
      assert.equal(job.permissions['id-token'], 'write');
    }
  });

  it('has one concurrency group per stage, and never cancels a deploy in flight', () => {
    const groups = Object.values(deploy.jobs)
      .filter((job) => job.concurrency)
      .map((job) => [job.with.stage, job.concurrency.group, job.concurrency['cancel-in-progress']]);
    assert.deepEqual(groups, [
      ['staging', 'deploy-staging', false],
      ['production', 'deploy-production', false],
    ]);
  });
});

describe('deploy-stage.yml: one stage', () => {
  it('deploys the bus first, then the services, each in its team’s environment of the stage', () => {
    const { bus, services } = stage.jobs;
    assert.equal(services.needs, 'bus');
    assert.match(services.if, /needs\.bus\.result != 'failure'/);
    for (const [job, list] of /** @type {const} */ ([[bus, 'bus'], [services, 'services']])) {
      assert.equal(job.uses, './.github/workflows/deploy-service.yml');
      assert.equal(job.strategy.matrix.include, `\${{ fromJSON(inputs.${list}) }}`);
      assert.equal(job.with.environment, '${{ inputs.kind }}-${{ matrix.team }}');
      assert.equal(job.with.stage, '${{ inputs.stage }}');
    }
  });

  it('runs the smoke test once every deploy of the stage succeeded, with the stage’s smoke client', () => {
    const smoke = stage.jobs.smoke;
    assert.deepEqual(smoke.needs, ['bus', 'services']);
    assert.match(smoke.if, /inputs\.smoke/);
    assert.match(smoke.if, /needs\.services\.result != 'failure'/);
    assert.equal(smoke.environment, '${{ inputs.kind }}');
    const step = stepNamed(smoke, 'Smoke test ${{ inputs.stage }}');
    assert.equal(step.run, 'npm run smoke -- --stage "$STAGE" --timeout 120');
    for (const name of ['SMOKE_TOKEN_URL', 'SMOKE_CLIENT_ID', 'SMOKE_CLIENT_SECRET']) assert.ok(step.env[name], `${name} is not passed to the smoke test`);
    assert.equal(step.env.SMOKE_CLIENT_SECRET, '${{ secrets.SMOKE_CLIENT_SECRET }}');
  });
});

describe('deploy-service.yml: one service', () => {
  const job = service.jobs.deploy;

  it('gives CloudFormation 10 minutes to watch the health alarm after a deploy, 0 on a preview stage, unless the environment says', () => {
    // The Deploy step's script, with `npx` standing for what it would run.
    const script = stepNamed(job, 'Deploy').run.replace('npx nx run', 'echo "$ROLLBACK_MONITORING_MINUTES"');
    const minutes = (/** @type {Record<string, string>} */ env) => runStep({ run: script }, { SERVICE: 'items-api', ROLLBACK_MONITORING_MINUTES: '', ...env }).stdout.split(' ')[0];
    assert.equal(minutes({ STAGE: 'staging' }), '10');
    assert.equal(minutes({ STAGE: 'pr-12' }), '0');
    assert.equal(minutes({ STAGE: 'production', ROLLBACK_MONITORING_MINUTES: '30' }), '30');
  });

  it('runs in the environment it is given, with that environment’s deploy role', () => {
    assert.equal(job.environment, '${{ inputs.environment }}');
    const credentials = job.steps.find((/** @type {any} */ step) => String(step.uses).startsWith('aws-actions/configure-aws-credentials@'));
    assert.equal(credentials.with['role-to-assume'], '${{ vars.AWS_DEPLOY_ROLE_ARN }}');
  });

  it('deploys only its service, or, to remove a preview stage, runs the script that refuses any other stage', () => {
    const deployStep = stepNamed(job, 'Deploy');
    assert.match(deployStep.run, /\nnpx nx run "\$SERVICE:deploy" --exclude-task-dependencies\n$/);
    assert.equal(stepNamed(job, 'Remove the stack and its retained resources').run, 'node tools/ci/remove-preview.mjs --stage "$STAGE" --service "$SERVICE"');
  });
});
