// What a deploy stage packages holds nothing local (here, beside the other
// whole-repo checks, because it reads every service and lib: a test target of
// infra/serverless with those inputs would mark every service affected by any
// change to them): every service is packaged
// once for stage `dev` (`serverless package --stage dev --package <tmp>`, as CI
// does), then every file of every function zip is read and searched for the
// local stack's settings (LOCAL_*) and the local runtime's names, and every
// compiled template is checked for what the local-only plugins would have done
// to it. Packaging takes ~10 s a service; the services are packaged side by side.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readZip } from './zip.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SERVERLESS_BIN = path.join(ROOT, 'node_modules/serverless/bin/serverless.js');
const STAGE = 'dev';
const TEMPLATE = 'cloudformation-template-update-stack.json';
/** What no packaged file may contain: the local stack's settings and the local runtime's names. */
const FORBIDDEN = ['LOCAL_', 'local-runtime', 'serverless-offline'];
/** Plugins that only the local stage may load (infra/serverless/base.cjs). */
const LOCAL_ONLY_PLUGIN = /^(serverless-offline$|@platform\/local-runtime\/)/;
/** The local stack's account id (infra/serverless/local-stage.cjs): the local stage spells ARNs out with it. */
const LOCAL_ACCOUNT_ARN = /arn:aws:[a-z0-9-]+:[a-z0-9-]*:000000000000:/;
/** Services packaged at once: each is a serverless process and an esbuild per function. */
const AT_ONCE = Math.max(2, Math.min(4, os.availableParallelism()));

/** The services: the folders of services/ with a serverless.yml. */
const services = readdirSync(path.join(ROOT, 'services'))
  .filter((name) => existsSync(path.join(ROOT, 'services', name, 'serverless.yml')))
  .sort();

/**
 * @typedef {{ Type: string, Condition?: string, Properties?: Record<string, any> }} Resource
 * @typedef {{ Resources: Record<string, Resource>, Conditions?: Record<string, unknown>, Outputs?: Record<string, unknown> }} Template
 * @typedef {{ name: string, dir: string, template: Template, state: { service: { plugins?: string[] } }, zips: string[] }} Packaged
 */

/**
 * What CI packages with: a token issuer and audience (a service with routes
 * refuses to package without them), and none of the local stack's settings
 * (LOCAL_*) the caller's shell may hold. Its esbuild work folder is its own
 * (ESBUILD_WORK_FOLDER, base.cjs): a local stack running from the same
 * checkout keeps its `.esbuild`, and `npm start`'s compilations theirs.
 * @returns {NodeJS.ProcessEnv}
 */
const deployEnv = () => {
  /** @type {NodeJS.ProcessEnv} */
  const env = { ...process.env, JWT_ISSUER_URL: 'https://issuer.example.com/', JWT_AUDIENCE: 'api', ESBUILD_WORK_FOLDER: `.esbuild-package-test-${process.pid}` };
  for (const name of Object.keys(env)) if (name.startsWith('LOCAL_')) delete env[name];
  return env;
};

/**
 * `serverless package --stage dev` of one service into `outDir`.
 * @param {string} name @param {string} outDir
 * @returns {Promise<void>}
 */
const packageService = (name, outDir) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVERLESS_BIN, 'package', '--stage', STAGE, '--package', outDir], {
      cwd: path.join(ROOT, 'services', name),
      env: deployEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`serverless package of ${name} exited ${code}:\n${output.slice(-4000)}`))));
  });

/**
 * Runs `task` on each item, at most `limit` at once.
 * @template T, R
 * @param {T[]} items @param {number} limit @param {(item: T) => Promise<R>} task
 * @returns {Promise<R[]>}
 */
const inBatches = async (items, limit, task) => {
  /** @type {R[]} */
  const results = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(/** @type {T} */ (items[index]));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
};

/** @type {string} */
let outRoot;
/** @type {Packaged[]} */
let packaged = [];

before(
  async () => {
    outRoot = mkdtempSync(path.join(os.tmpdir(), 'deploy-package-'));
    packaged = await inBatches(services, AT_ONCE, async (name) => {
      const dir = path.join(outRoot, name);
      await packageService(name, dir);
      const read = (/** @type {string} */ file) => JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
      return { name, dir, template: read(TEMPLATE), state: read('serverless-state.json'), zips: readdirSync(dir).filter((file) => file.endsWith('.zip')) };
    });
  },
  { timeout: 600_000 },
);

after(() => {
  if (outRoot) rmSync(outRoot, { recursive: true, force: true });
});

/** @param {Template} template @returns {Array<[string, Resource]>} */
const functionsOf = (template) => Object.entries(template.Resources).filter(([, resource]) => resource.Type === 'AWS::Lambda::Function');

describe(`the packages of a deploy stage (serverless package --stage ${STAGE})`, () => {
  it('package every service, and one zip per function of each service with functions', () => {
    assert.deepEqual(packaged.map((service) => service.name), services);
    const withFunctions = packaged.filter((service) => functionsOf(service.template).length > 0);
    assert.ok(withFunctions.length >= 3, `services with functions: ${withFunctions.map((service) => service.name).join(', ')}`);
    for (const service of withFunctions) {
      assert.equal(service.zips.length, functionsOf(service.template).length, `${service.name}: ${service.zips.join(', ')}`);
    }
  });

  it(`hold no ${FORBIDDEN.join(', ')} string in any file of any zip`, () => {
    const found = [];
    let files = 0;
    for (const service of packaged) {
      for (const zip of service.zips) {
        for (const [name, content] of readZip(path.join(service.dir, zip))) {
          files += 1;
          const text = content.toString('latin1');
          for (const needle of FORBIDDEN) {
            const at = text.indexOf(needle);
            if (at >= 0 || name.includes(needle)) found.push(`${service.name}/${zip}: ${name}: "${needle}" in …${text.slice(Math.max(0, at - 60), at + 60)}…`);
          }
        }
      }
    }
    assert.ok(files > 0, 'no file in any zip: nothing was checked');
    assert.deepEqual(found, []);
  });

  it('load no local-only plugin', () => {
    for (const service of packaged) {
      const plugins = service.state.service.plugins ?? [];
      assert.ok(plugins.includes('@platform/serverless-base/plugins/observability'), `${service.name}: the shared plugins were not read: ${plugins.join(', ')}`);
      assert.deepEqual(plugins.filter((plugin) => LOCAL_ONLY_PLUGIN.test(plugin)), [], service.name);
    }
  });

  it("compile templates that show none of the local-only plugins' effects", () => {
    for (const { name, template } of packaged) {
      const text = JSON.stringify(template);
      for (const needle of FORBIDDEN) assert.ok(!text.includes(needle), `${name}: its template mentions ${needle}`);
      // The local stage spells ARNs out in the emulators' account; a deploy stage never does.
      assert.doesNotMatch(text, LOCAL_ACCOUNT_ARN, name);
      // local-function-credentials gives each function a key of its own under `serverless offline`.
      for (const [id, fn] of functionsOf(template)) {
        const variables = Object.keys(fn.Properties?.Environment?.Variables ?? {});
        assert.deepEqual(variables.filter((variable) => variable.startsWith('AWS_') || variable.startsWith('LOCAL_')), [], `${name}: ${id}`);
      }
    }
    // local-conditions evaluates a template's Conditions on the local stage and drops what they
    // leave out: the platform stack's alarm email subscription (no ALARM_EMAIL) would be gone.
    const platform = packaged.find((service) => service.name === 'event-bus');
    assert.ok(platform, 'the platform stack (services/event-bus) was not packaged');
    const conditions = Object.keys(platform.template.Conditions ?? {});
    assert.ok(conditions.length > 0, 'event-bus: its Conditions were evaluated away');
    const conditional = Object.values(platform.template.Resources).filter((resource) => resource.Condition && conditions.includes(resource.Condition));
    assert.ok(conditional.length > 0, 'event-bus: no resource kept its Condition');
  });
});
