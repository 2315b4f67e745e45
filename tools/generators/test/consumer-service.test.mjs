// The consumer-service generator, end to end in a throw-away copy of the
// workspace: generate a service, then lint, typecheck, test and package it
// with its own Nx targets, read the CloudFormation it compiles to, and run it
// in the copy's whole local stack, where the local console shows its hop in
// an order's flow. No AWS account and no network: `serverless package` only
// compiles.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dataProtection } from '@platform/policy/template-policy';


const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SERVICE = 'billing-sync';

/**
 * The tracked and untracked-but-not-ignored files (so uncommitted work is
 * included), and a node_modules of links to the installed packages. The
 * workspace links (@platform/* → ../../libs/…) are made anew inside the copy:
 * a link to the whole of node_modules would resolve them against the real
 * node_modules folder, i.e. to this workspace's libs, not the copy's.
 */
const copyWorkspace = () => {
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'generators-')));
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    try {
      cpSync(path.join(ROOT, file), path.join(dir, file), { recursive: false });
    } catch (error) {
      if (error.code !== 'ENOENT') throw error; // deleted in the working tree
    }
  }
  const modules = path.join(ROOT, 'node_modules');
  mkdirSync(path.join(dir, 'node_modules/@platform'), { recursive: true });
  for (const entry of readdirSync(modules)) {
    if (entry !== '@platform') symlinkSync(path.join(modules, entry), path.join(dir, 'node_modules', entry));
  }
  for (const entry of readdirSync(path.join(modules, '@platform'))) {
    symlinkSync(readlinkSync(path.join(modules, '@platform', entry)), path.join(dir, 'node_modules/@platform', entry));
  }
  return dir;
};

/** Every file under `dir`, relative to it. @param {string} dir @returns {string[]} */
const filesIn = (dir) =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));

/**
 * Copies a service's compiled local templates (.serverless-local/<inputs hash>/)
 * into the copy, each only if it was whole: other tasks of `npm test` run
 * stacks in this workspace meanwhile, which compile (into *.tmp folders) and
 * prune (folders of other inputs) while this copies. A folder that lost a file
 * during its copy is dropped, and the copy's stack compiles that one itself.
 * @param {string} from  a service folder of this workspace @param {string} to  the same in the copy
 */
const copyCompiledTemplates = (from, to) => {
  const source = path.join(from, '.serverless-local');
  if (!existsSync(source)) return;
  for (const name of readdirSync(source)) {
    if (name.endsWith('.tmp')) continue;
    const target = path.join(to, '.serverless-local', name);
    try {
      cpSync(path.join(source, name), target, { recursive: true });
      if (filesIn(target).every((file) => existsSync(path.join(source, name, file)))) continue;
    } catch (error) {
      if (error.code !== 'ENOENT') throw error;
    }
    rmSync(target, { recursive: true, force: true });
  }
};

// Nothing of an outer Nx run (NX_TASK_*…) or of this test runner (NODE_TEST_CONTEXT) leaks into the copy's commands.
const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('NX_') && key !== 'NODE_TEST_CONTEXT'));
Object.assign(env, {
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_SKIP_NX_CACHE: 'true',
  NX_TUI: 'false',
  CI: 'true',
  STAGE: 'dev',
  AWS_ACCESS_KEY_ID: 'dummy',
  AWS_SECRET_ACCESS_KEY: 'dummy',
  AWS_REGION: 'us-east-1',
});

/** The platform's code, which a generated service must need no change of. */
const PLATFORM = ['tools/console', 'tools/local-runtime', 'tools/dlq', 'tools/local-stack', 'libs/events'];
/** A hash of every file under `folders` of the copy. @param {string[]} folders */
const hashOf = (folders) => {
  const hash = createHash('sha256');
  /** @param {string} file */
  const add = (file) => {
    if (statSync(path.join(dir, file)).isDirectory()) for (const name of readdirSync(path.join(dir, file)).sort()) add(path.join(file, name));
    else hash.update(`${file}\0`).update(readFileSync(path.join(dir, file)));
  };
  for (const folder of folders) add(folder);
  return hash.digest('hex');
};

let dir;
let platformAsCopied = '';
/** What `nx g` printed for ${SERVICE}. */
let generated = '';
const run = (command, ...args) => {
  const result = spawnSync(command, args, { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}` };
};
const npx = (...args) => run('npx', '--no-install', ...args);
/**
 * The generator run in this process on the copy's files, as `nx g` runs it but
 * without starting Nx: for the refusals, which must throw before writing anything.
 * @returns {Promise<string>} the error's message ('' if it did not throw)
 */
const refusalOf = async (options) => {
  const { FsTree } = createRequire(import.meta.url)('nx/src/generators/tree');
  const generator = createRequire(import.meta.url)(path.join(dir, 'tools/generators/src/consumer-service/generator.cjs'));
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    await generator(new FsTree(dir, false), { ...options, interactive: false });
    return '';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    process.chdir(cwd);
  }
};
const assertSucceeds = ({ status, output }, what) => assert.equal(status, 0, `${what} exited ${status}:\n${output}`);
const read = (file) => readFileSync(path.join(dir, file), 'utf8');
const readJson = (file) => JSON.parse(read(file));

before(() => {
  dir = copyWorkspace();
  platformAsCopied = hashOf(PLATFORM);
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('consumer-service generator', () => {
  it('works in a copy whose @platform/* links resolve inside the copy', () => {
    assert.equal(realpathSync(path.join(dir, 'node_modules/@platform/events')), path.join(dir, 'libs/events'));
    assert.equal(realpathSync(path.join(dir, 'node_modules/@platform/generators')), path.join(dir, 'tools/generators'));
  });

  it(`generates services/${SERVICE}`, () => {
    const result = npx('nx', 'g', '@platform/generators:consumer-service', `--name=${SERVICE}`, '--events=order.confirmed', '--team=billing', '--no-interactive');
    assertSucceeds(result, 'nx g');
    generated = result.output;
    assert.match(result.output, /^Next/m);
    for (const file of [
      'serverless.yml',
      'project.json',
      'package.json',
      'tsconfig.json',
      'jest.config.js',
      'src/domain/index.ts',
      'src/domain/process-event.ts',
      'src/handlers/handle-events.ts',
      'test/unit/handle-events.test.ts',
      'test/contract/consumes.contract.test.ts',
    ]) {
      assert.ok(existsSync(path.join(dir, 'services', SERVICE, file)), `services/${SERVICE}/${file} was not generated`);
    }
    const project = readJson(`services/${SERVICE}/project.json`);
    assert.equal(project.name, SERVICE);
    assert.deepEqual(project.tags, ['type:service', 'scope:billing']);
    // Its targets come from nx.json's targetDefaults, as notifier's do; it deploys after the bus it subscribes to.
    assert.deepEqual(project.targets, readJson('services/notifier/project.json').targets);
    assert.deepEqual(project.implicitDependencies, ['event-bus']);
    assert.ok(!project.implicitDependencies.includes('items-api'));
    // Its devDependency on the shared Serverless base, as notifier's: what tells Nx that a change to the base deploys it.
    assert.deepEqual(readJson(`services/${SERVICE}/package.json`), { ...readJson('services/notifier/package.json'), name: `@platform/${SERVICE}` });
    assert.match(read(`services/${SERVICE}/src/handlers/handle-events.ts`), /export const ACCEPTED_EVENTS = \['order\.confirmed'\] as const;/);
    assert.match(read(`services/${SERVICE}/test/contract/consumes.contract.test.ts`), /^\s*\['order-processor', 'order\.confirmed'\],$/m);
  });

  it('writes a serverless.yml that takes its shared sections from infra/serverless/base.cjs, as notifier does', () => {
    const config = read(`services/${SERVICE}/serverless.yml`);
    const includes = (text) => text.split('\n').filter((line) => line.includes('${file(../../infra/serverless/base.cjs):'));
    assert.deepEqual(includes(config), includes(read('services/notifier/serverless.yml')));
    assert.match(config, /^\s+TopicArn: \$\{self:custom\.eventBus\.topicArn\}$/m);
    assert.doesNotMatch(config, /items-api|httpPort|lambdaPort|OFFLINE_|esbuild:\n\s+bundle|runtime:/);
    assert.ok(config.split('\n').length <= 85, `${config.split('\n').length} lines: keep only what is the service's own`);
  });

  // The whole local stack of the copy (every service, the generated one too),
  // as `npm start` runs it; an order through the API; then the console's API:
  // the order's flow holds the generated service's delivery and invocation of
  // order.confirmed. Nothing of the platform (console, local runtime, DLQ
  // tool, event contracts) was changed for it: the console joins on the
  // correlation id and on the entity keys the contracts declare.
  it(`shows ${SERVICE}'s hops in the local console's flow of an order, with no change to the platform's code`, async (t) => {
    assert.equal(hashOf(PLATFORM), platformAsCopied, `the generator changed something under ${PLATFORM.join(', ')}`);
    // Templates compiled by this workspace's own stack are reused where their inputs (hashed) are the copy's too.
    for (const service of readdirSync(path.join(ROOT, 'services'))) copyCompiledTemplates(path.join(ROOT, 'services', service), path.join(dir, 'services', service));
    const { startLocalStack } = createRequire(import.meta.url)(path.join(dir, 'tools/local-stack/process.cjs'));
    // The console takes its usual port, or any free one if that is taken (as beside a developer's npm start).
    const stack = await startLocalStack({ env: { LOCAL_SQS_RETRY_SECONDS: '2' } });
    const started = Date.now();
    try {
      const consoleUrl = stack.consoleUrl;
      assert.ok(consoleUrl, 'the ready report names no console');
      t.diagnostic(`local stack ready in ${(stack.readyMs / 1000).toFixed(1)} s; ${stack.output().match(/Compiled templates reused.*|Every template compiled afresh\./)?.[0]}`);
      assert.match(stack.output(), new RegExp(`${SERVICE}-local-events`), 'the generated service runs in the local stack');
      const { loadDevIssuer } = await import(pathToFileURL(path.join(dir, 'tools/local-runtime/gateway/dev-issuer.mjs')).href);
      const issuer = await loadDevIssuer();
      const post = async (route, token, body) =>
        fetch(`${stack.apiUrl}${route}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const created = await post('/items', await issuer.sign({ email: 'staff@example.com', scopes: ['items:write'] }), { name: 'pen', priceCents: 120, stock: 5 });
      // On a failure, what the stack said about it (the gateway's one line names the request and why).
      const why = async (response) => `${await response.clone().text()}\n${stack.output().split('\n').slice(-40).join('\n')}`;
      assert.equal(created.status, 201, await why(created));
      const ordered = await post('/orders', await issuer.sign({ email: 'ada@example.com' }), { itemId: (await created.json()).id, quantity: 1 });
      assert.equal(ordered.status, 202, await why(ordered));
      const { orderId } = await ordered.json();
      const flowId = String(ordered.headers.get('apigw-requestid'));

      // The flow of the order's request, as the console's page reads it.
      let flow;
      const deadline = Date.now() + 30_000;
      for (;;) {
        const response = await fetch(`${consoleUrl}/api/flows/${encodeURIComponent(flowId)}`);
        flow = response.ok ? await response.json() : undefined;
        // Both hops: the delivery's is recorded when its batch is done, which can be a moment after the invocation's.
        const kinds = new Set(flow?.entries.filter((entry) => entry.service === SERVICE).map((entry) => entry.kind));
        if (kinds.has('invoke') && kinds.has('sqs')) break;
        assert.ok(Date.now() < deadline, `no hop of ${SERVICE} in the flow of ${flowId} after 30 s:\n${JSON.stringify(flow?.entries.map((e) => e.title), null, 1)}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const hops = flow.entries.filter((entry) => entry.service === SERVICE);
      assert.deepEqual(hops.map((entry) => `${entry.kind} ${entry.function}`), ['sqs handleEvents', 'invoke handleEvents']);
      assert.ok(hops.every((entry) => !entry.failed), JSON.stringify(hops, null, 1));
      // It ran on the major version of the runtime its compiled template deploys it to (the Node of .nvmrc runs the stack).
      const { node, deployed } = hops[1].facts.runtime;
      assert.equal(`nodejs${node.match(/^v(\d+)\./)[1]}.x`, deployed, `${SERVICE} ran on node ${node}, deploys to ${deployed}`);
      assert.deepEqual(hops[0].events.map((event) => [event.type, event.correlationId]), [['order.confirmed', flowId]]);
      assert.ok(flow.flow.services.includes(SERVICE), flow.flow.services.join(', '));
      assert.deepEqual(flow.flow.entityKeys.orderId, [orderId]);
      // Found by the order id too, as the page's search finds it.
      const { flows } = await (await fetch(`${consoleUrl}/api/flows?q=${orderId}&service=${SERVICE}`)).json();
      assert.deepEqual(flows.map((found) => found.id), [flowId]);
      t.diagnostic(`${SERVICE}'s hop in the order's flow ${((Date.now() - started) / 1000).toFixed(1)} s after the stack was ready`);
    } finally {
      await stack.stop();
    }
  });

  it('generates a service of an existing team that subscribes to item, stock and order events, checked against each producer’s samples', () => {
    const teamsBefore = read('tools/ownership/teams.json');
    const events = ['item.created', 'item.updated', 'stock.reserved', 'stock.rejected', 'order.rejected'];
    const result = npx('nx', 'g', '@platform/generators:consumer-service', '--name=catalog-mirror', `--events=${events}`, '--team=catalog', '--no-interactive');
    assertSucceeds(result, 'nx g');
    assert.equal(read('tools/ownership/teams.json'), teamsBefore);
    assert.match(read('.github/CODEOWNERS'), /^\/services\/catalog-mirror\/\s+@acme\/catalog$/m);
    assert.deepEqual(read('services/catalog-mirror/serverless.yml').match(/type: \[[^\]]*\]/)[0], `type: [${events.join(', ')}]`);
    assert.deepEqual(readJson('services/catalog-mirror/project.json').implicitDependencies, ['event-bus']);
    // item.* and stock.* from items-api, order.* from order-processor; item.created has no published sample.
    const rows = [...read('services/catalog-mirror/test/contract/consumes.contract.test.ts').matchAll(/^\s*\['([^']+)', '([^']+)'\],$/gm)].map((match) => match.slice(1));
    assert.deepEqual(rows, [
      ['items-api', 'item.updated'],
      ['items-api', 'stock.reserved'],
      ['items-api', 'stock.rejected'],
      ['order-processor', 'order.rejected'],
    ]);
    assert.match(result.output, /No producer publishes a sample of item\.created/);
  });

  // catalog-mirror is made from the same templates as the first, with other events:
  // its tests (the contract test against each producer's samples) are what differ.
  it(`passes lint, typecheck, test and package of ${SERVICE}, and the tests of catalog-mirror`, () => {
    assertSucceeds(npx('nx', 'run-many', '-t', 'lint', 'typecheck', 'test', 'package', '-p', SERVICE, '--parallel=2', '--outputStyle=static'), `nx run-many ${SERVICE}`);
    assertSucceeds(npx('nx', 'run', 'catalog-mirror:test', '--outputStyle=static'), 'nx run catalog-mirror:test');
  });

  it('compiles to a filtered subscription to the event bus, a queue with a DLQ, and a least-privilege role', () => {
    const { Resources, Outputs } = readJson(`services/${SERVICE}/.serverless/cloudformation-template-update-stack.json`);
    const ofType = (type) => Object.entries(Resources).filter(([, resource]) => resource.Type === type);
    // The bus's one export, imported at deploy time; nothing of items-api.
    const topicArn = { 'Fn::ImportValue': 'event-bus-dev-DomainEventsTopicArn' };
    assert.doesNotMatch(JSON.stringify({ Resources, Outputs }), /items-api/);

    const functions = ofType('AWS::Lambda::Function');
    assert.equal(functions.length, 1);
    const [[functionId, fn]] = functions;
    assert.equal(fn.Properties.Runtime, 'nodejs22.x');
    assert.equal(fn.Properties.Architectures[0], 'arm64');
    assert.equal(fn.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME, SERVICE);
    assert.deepEqual(fn.Properties.Environment.Variables.EVENTS_TOPIC_ARN, topicArn);
    assert.ok(!Object.keys(fn.Properties.Environment.Variables).some((key) => key.startsWith('OFFLINE_')));

    const queue = Resources.EventsQueue.Properties;
    assert.equal(queue.VisibilityTimeout, 36);
    assert.ok(queue.VisibilityTimeout >= 6 * fn.Properties.Timeout, `VisibilityTimeout ${queue.VisibilityTimeout} < 6 × ${fn.Properties.Timeout}`);
    assert.deepEqual(queue.RedrivePolicy, { deadLetterTargetArn: { 'Fn::GetAtt': ['EventsDlq', 'Arn'] }, maxReceiveCount: 5 });
    assert.equal(Resources.EventsDlq.Properties.MessageRetentionPeriod, 1209600);
    assert.deepEqual(dataProtection({ Resources }), []);

    const subscription = Resources.EventsSubscription.Properties;
    assert.deepEqual(subscription.FilterPolicy, { type: ['order.confirmed'] });
    assert.equal(subscription.FilterPolicyScope, 'MessageAttributes');
    assert.equal(subscription.RawMessageDelivery, true);
    assert.deepEqual(subscription.TopicArn, topicArn);
    const [statement, ...others] = Resources.EventsQueuePolicy.Properties.PolicyDocument.Statement;
    assert.deepEqual(others, []);
    assert.deepEqual(statement.Principal, { Service: 'sns.amazonaws.com' });
    assert.equal(statement.Action, 'sqs:SendMessage');
    assert.deepEqual(statement.Condition, { ArnEquals: { 'aws:SourceArn': topicArn } });

    const [[, mapping]] = ofType('AWS::Lambda::EventSourceMapping');
    assert.deepEqual(mapping.Properties.FunctionResponseTypes, ['ReportBatchItemFailures']);
    assert.deepEqual(mapping.Properties.ScalingConfig, { MaximumConcurrency: 5 });
    assert.equal(mapping.Properties.BatchSize, 10);

    // One role, the function's own: its logs, receiving from its queue, and its X-Ray traces.
    const roles = ofType('AWS::IAM::Role');
    assert.deepEqual(roles.map(([id]) => id), [fn.Properties.Role['Fn::GetAtt'][0]], `roles: ${roles.map(([id]) => id)}, ${functionId}'s: ${fn.Properties.Role['Fn::GetAtt'][0]}`);
    const statements = roles[0][1].Properties.Policies.flatMap((policy) => policy.PolicyDocument.Statement);
    assert.deepEqual(statements.flatMap((s) => s.Action).sort(), [
      'logs:CreateLogGroup',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:ReceiveMessage',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    assert.deepEqual(statements.find((s) => s.Action.includes('sqs:ReceiveMessage')).Resource, [{ 'Fn::GetAtt': ['EventsQueue', 'Arn'] }]);
  });

  it('records the owner in teams.json and CODEOWNERS, as the ownership test wants', () => {
    assert.equal(readJson('tools/ownership/teams.json').scopes.billing, '@acme/billing');
    const rules = read('.github/CODEOWNERS').split('\n');
    assert.equal(rules.filter((line) => line.startsWith(`/services/${SERVICE}/`)).length, 1);
    assert.ok(rules.some((line) => new RegExp(`^/services/${SERVICE}/\\s+@acme/billing$`).test(line)), rules.join('\n'));
    const ownership = run('node', '--test', 'tools/ci/test/ownership.test.mjs');
    assertSucceeds(ownership, 'tools/ci/test/ownership.test.mjs');
    assert.match(ownership.output, /services\/billing-sync has one scope/);
    assert.match(ownership.output, /^# fail 0$/m);
  });

  // The README's promise, "`npm start` and CI pick it up without further
  // wiring": what would otherwise be a hand edit is made by the generator, or
  // found by Nx's tag or the tools' own look at services/*. npm start is
  // proven above (the whole local stack); here the rest, from one Nx graph.
  it('needs no hand edit beyond its domain code, its grants and its deploy', () => {
    // The lockfile as `npm install` would write it (npm ci refuses one without the new workspace): npm
    // changes nothing. npm runs on the manifests alone, in a folder without node_modules, as it
    // would write its hidden lockfile into the copy's node_modules, links to this workspace's.
    const lockfile = read('package-lock.json');
    assert.match(lockfile, new RegExp(`"services/${SERVICE}": \\{`));
    const manifests = mkdtempSync(path.join(os.tmpdir(), 'generators-lockfile-'));
    try {
      const workspaces = readJson('package.json').workspaces.flatMap((pattern) => (pattern.endsWith('/*') ? readdirSync(path.join(dir, pattern.slice(0, -2))).map((name) => `${pattern.slice(0, -1)}${name}`) : [pattern]));
      for (const file of ['package.json', 'package-lock.json', ...workspaces.map((workspace) => `${workspace}/package.json`)]) {
        if (existsSync(path.join(dir, file))) cpSync(path.join(dir, file), path.join(manifests, file));
      }
      const npm = spawnSync('npm', ['install', '--package-lock-only', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: manifests, env, encoding: 'utf8', timeout: 60_000 });
      assertSucceeds({ status: npm.status, output: `${npm.stdout}${npm.stderr}` }, 'npm install --package-lock-only');
      assert.ok(readFileSync(path.join(manifests, 'package-lock.json'), 'utf8') === lockfile, 'npm install --package-lock-only changed the package-lock.json the generator wrote');
    } finally {
      rmSync(manifests, { recursive: true, force: true });
    }

    const graphFile = path.join(dir, 'graph.json');
    assertSucceeds(npx('nx', 'graph', `--file=${graphFile}`), 'nx graph');
    /** @type {{ graph: { nodes: Record<string, { data: { targets?: Record<string, unknown> } }>, dependencies: Record<string, Array<{ target: string }>> } }} */
    const { graph } = JSON.parse(readFileSync(graphFile, 'utf8'));
    const dependenciesOf = (project) => graph.dependencies[project]?.map(({ target }) => target) ?? [];
    const deployable = Object.keys(graph.nodes).filter((project) => graph.nodes[project]?.data.targets?.deploy);
    // CI deploys it (nx affected -t deploy), after the bus, and when the shared base or libs/events change.
    assert.ok(deployable.includes(SERVICE), deployable.join(', '));
    for (const dependency of ['event-bus', 'serverless-base', 'events']) assert.ok(dependenciesOf(SERVICE).includes(dependency), `${SERVICE} depends on ${dependenciesOf(SERVICE).join(', ')}`);
    // A change to it deploys only itself: no deployable project depends on it.
    assert.deepEqual(deployable.filter((project) => dependenciesOf(project).includes(SERVICE)), []);
    // The projects that work on every service re-run when it changes: each depends on it through tag:type:service.
    for (const project of ['local-stack', 'system-tests', 'template-policy', 'ci-checks', 'openapi']) {
      assert.ok(dependenciesOf(project).includes(SERVICE), `${project} depends on ${dependenciesOf(project).join(', ')}, not ${SERVICE}`);
    }

    // The docs that list services and who consumes what name it; their links resolve and the README stays short.
    assert.match(read('README.md'), new RegExp(`^\\| \\[\`${SERVICE}\`\\]\\(services/${SERVICE}/\\) \\| billing \\|.* \\| \`order\\.confirmed\` \\| – \\|$`, 'm'));
    assert.match(read('docs/architecture.md'), new RegExp(`^\\| \`order\\.confirmed\` \\| order-processor \\| notifier, ${SERVICE} \\|`, 'm'));
    assert.match(read('docs/architecture.md'), /^\| `order\.rejected` \| order-processor \| notifier, catalog-mirror \|/m);
    assertSucceeds(run('node', '--test', 'tools/ci/test/docs-links.test.mjs'), 'tools/ci/test/docs-links.test.mjs');

    // So "Next" asks only what a person decides, in the service's own files.
    const next = generated.slice(generated.search(/^Next/m)).split('\n\n')[0];
    assert.deepEqual([...new Set(next.match(/[\w.@-]+(?:\/[\w.@-]+)+/g))].sort(), [`services/${SERVICE}/serverless.yml`, `services/${SERVICE}/src/domain/process-event.ts`], next);
    assert.match(next, /iamRoleStatements/);
    assert.match(next, new RegExp(`deploys ${SERVICE} alone`));
    assert.doesNotMatch(next, /README|package-lock|project\.json|teams\.json|CODEOWNERS|affected|npm install|tools\//, next);
  });

  it('takes the valid event types from EVENT_TYPES in libs/events', async () => {
    const output = await refusalOf({ name: 'stock-watch', events: 'order.shipped', team: 'billing' });
    const listed = output.match(/--events must be a subset of: ([^(]+) \(/)[1].split(', ');
    const contracts = read('libs/events/src/contracts.ts');
    const defined = [...contracts.slice(contracts.indexOf('export const EventSchemas')).matchAll(/^\s+'([a-z]+\.[a-z]+)':/gm)].map((match) => match[1]);
    assert.deepEqual(listed, defined);
    assert.ok(listed.includes('stock.reserved') && listed.includes('stock.rejected'), listed.join(', '));
  });

  it('refuses an event type that libs/events does not define', async () => {
    const output = await refusalOf({ name: 'shipping-sync', events: 'order.confirmed,order.shipped', team: 'billing' });
    assert.match(output, /Unknown event type order\.shipped/);
    assert.ok(!existsSync(path.join(dir, 'services/shipping-sync')));
  });

  it('refuses a service that already exists', async () => {
    const codeownersBefore = read('.github/CODEOWNERS');
    const output = await refusalOf({ name: SERVICE, events: 'order.rejected', team: 'billing' });
    assert.match(output, new RegExp(`services/${SERVICE} already exists`));
    assert.equal(read('.github/CODEOWNERS'), codeownersBefore);
  });
});
