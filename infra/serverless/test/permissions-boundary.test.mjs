// plugins/permissions-boundary.js: the deploy's PERMISSIONS_BOUNDARY_ARN on
// every function role, as serverless-iam-roles-per-function reads it.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';

const require = createRequire(import.meta.url);
const PermissionsBoundary = require('../plugins/permissions-boundary.js');

const BOUNDARY = 'arn:aws:iam::123456789012:policy/boundary-orders';

/** @param {{ stage?: string, env?: NodeJS.ProcessEnv, functions?: Record<string, any> }} world */
const packaged = ({ stage = 'staging', env = {}, functions = { placeOrder: {}, getOrder: { iamPermissionsBoundary: 'arn:aws:iam::123456789012:policy/own' } } }) => {
  const serverless = {
    service: { provider: { stage }, getAllFunctions: () => Object.keys(functions), getFunction: (/** @type {string} */ key) => functions[key] },
  };
  const plugin = new PermissionsBoundary(/** @type {any} */ (serverless), {}, {}, { env });
  plugin.hooks['before:package:compileFunctions']();
  return functions;
};

describe('the permissions boundary plugin', () => {
  it('puts the deploy’s boundary on every function role that names none', () => {
    const functions = packaged({ env: { PERMISSIONS_BOUNDARY_ARN: BOUNDARY } });
    assert.equal(functions.placeOrder.iamPermissionsBoundary, BOUNDARY);
    assert.equal(functions.getOrder.iamPermissionsBoundary, 'arn:aws:iam::123456789012:policy/own');
  });

  it('changes nothing without the variable, or on the local stage', () => {
    assert.equal(packaged({}).placeOrder.iamPermissionsBoundary, undefined);
    assert.equal(packaged({ stage: 'local', env: { PERMISSIONS_BOUNDARY_ARN: BOUNDARY } }).placeOrder.iamPermissionsBoundary, undefined);
  });

  it('is listed before serverless-iam-roles-per-function, which reads the setting', async () => {
    const base = require('../base.cjs');
    const { plugins } = await base({ resolveVariable: async (/** @type {string} */ name) => (name === 'sls:stage' ? 'staging' : name.includes(',') ? null : undefined) });
    const at = (/** @type {string} */ name) => plugins.findIndex((plugin) => plugin.includes(name));
    assert.ok(at('permissions-boundary') >= 0 && at('permissions-boundary') < at('serverless-iam-roles-per-function'));
  });
});
