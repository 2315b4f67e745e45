// infra/serverless/base.cjs, the configuration every service takes its plugins
// and provider from: the local stage's plugins (serverless-offline and the
// local runtime's own) load on stage `local` only; a deploy stage loads none.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const base = require('../base.cjs');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * The local runtime's plugins, by the names a service loads them by. Read from
 * its folder, not imported: deploy code imports nothing local.
 */
const LOCAL_RUNTIME_PLUGINS = readdirSync(path.join(ROOT, 'tools/local-runtime/serverless-plugins'))
  .filter((file) => file.endsWith('.js'))
  .map((file) => `@platform/local-runtime/serverless-plugins/${path.basename(file, '.js')}`)
  .sort();
const LOCAL_ONLY = /^(serverless-offline$|@platform\/local-runtime\/)/;

/**
 * base.cjs as the framework calls it for `stage`: `resolveVariable` answers
 * what a service's serverless.yml would, and the fallback of the rest.
 * @param {string} stage @param {{ CFN_EXECUTION_ROLE_ARN?: string }} [env]
 * @returns {Promise<{ plugins: string[], platformPlugins: string[], provider: Record<string, any> }>}
 */
const configFor = (stage, env = {}) =>
  base({
    resolveVariable: async (/** @type {string} */ variable) => {
      if (variable === 'sls:stage') return stage;
      if (variable.startsWith('env:AWS_REGION')) return 'us-east-1';
      if (variable.startsWith('self:custom.environment')) return { TABLE_NAME: 'items' };
      if (variable.startsWith('env:CFN_EXECUTION_ROLE_ARN')) return env.CFN_EXECUTION_ROLE_ARN ?? null;
      throw new Error(`unexpected variable ${variable}`);
    },
  });

describe('base.cjs plugins', () => {
  it('the local runtime has plugins to check', () => {
    assert.ok(LOCAL_RUNTIME_PLUGINS.length >= 2, LOCAL_RUNTIME_PLUGINS.join(', '));
  });

  it('on stage local: serverless-offline and every plugin of the local runtime, after the shared ones', async () => {
    const { plugins, platformPlugins } = await configFor('local');
    assert.ok(plugins.includes('serverless-offline'), plugins.join(', '));
    assert.deepEqual(plugins.filter((plugin) => plugin.startsWith('@platform/local-runtime/')).sort(), LOCAL_RUNTIME_PLUGINS);
    for (const shared of ['serverless-esbuild', 'serverless-iam-roles-per-function', '@platform/serverless-base/plugins/observability']) {
      assert.ok(plugins.includes(shared), `${shared} missing on stage local`);
    }
    // The local runtime's plugins act on what the others compiled: they come last.
    const firstLocal = plugins.findIndex((plugin) => plugin.startsWith('@platform/local-runtime/'));
    assert.ok(plugins.slice(firstLocal).every((plugin) => LOCAL_ONLY.test(plugin)), plugins.join(', '));
    assert.ok(platformPlugins.includes('@platform/local-runtime/serverless-plugins/local-conditions'), platformPlugins.join(', '));
  });

  for (const stage of ['dev', 'prod', 'pr-42']) {
    it(`on stage ${stage}: none of them`, async () => {
      const { plugins, platformPlugins } = await configFor(stage);
      assert.deepEqual(plugins.filter((plugin) => LOCAL_ONLY.test(plugin)), []);
      assert.deepEqual(platformPlugins.filter((plugin) => LOCAL_ONLY.test(plugin)), []);
      assert.ok(plugins.includes('@platform/serverless-base/plugins/observability'), plugins.join(', '));
    });
  }

  it('every plugin resolves from a service folder, as the framework loads it', async () => {
    const fromService = createRequire(path.join(ROOT, 'services/items-api/serverless.yml'));
    const { plugins, platformPlugins } = await configFor('local');
    for (const plugin of new Set([...plugins, ...platformPlugins])) assert.doesNotThrow(() => fromService.resolve(plugin), plugin);
  });
});

describe('base.cjs provider', () => {
  it("merges the service's own environment into the shared one", async () => {
    const { provider } = await configFor('dev');
    assert.equal(provider.environment.TABLE_NAME, 'items');
    assert.equal(provider.stage, 'dev');
  });

  it('sets no LOCAL_ variable on any stage: the local stack keeps its settings to itself', async () => {
    for (const stage of ['local', 'dev']) {
      const { provider } = await configFor(stage);
      assert.deepEqual(Object.keys(provider.environment).filter((name) => name.startsWith('LOCAL_')), [], stage);
    }
  });
});

describe('base.cjs deploy role', () => {
  it('deploys through the team’s CloudFormation execution role when the deploy names one (infra/bootstrap), never locally', async () => {
    const role = 'arn:aws:iam::123456789012:role/cfn-exec-orders';
    assert.deepEqual((await configFor('staging', { CFN_EXECUTION_ROLE_ARN: role })).provider.iam, { deploymentRole: role });
    assert.equal((await configFor('staging')).provider.iam, undefined);
  });
});
