// The team's permissions boundary on every function role, when the deploy names
// one (PERMISSIONS_BOUNDARY_ARN, set by the workflows from the GitHub
// environment; infra/bootstrap makes one per team). The team's CloudFormation
// execution role may create a role only with that boundary attached
// (docs/bootstrap.md), so a service cannot give a function more than its team
// may ever have, whatever its serverless.yml says. Without the variable (a
// deploy with your own credentials, packaging in CI) nothing changes.
// List it before serverless-iam-roles-per-function, which reads the setting.
'use strict';

class PermissionsBoundary {
  /**
   * @param {import('@platform/serverless-base/types').Serverless} serverless
   * @param {unknown} _options @param {unknown} _utils the framework's; `world` is the tests'
   */
  constructor(serverless, _options, _utils, { env = process.env } = {}) {
    this.serverless = serverless;
    this.boundary = env.PERMISSIONS_BOUNDARY_ARN || undefined;
    this.hooks = { 'before:package:compileFunctions': () => this.attach() };
  }

  attach() {
    if (!this.boundary || this.serverless.service.provider.stage === 'local') return;
    for (const key of this.serverless.service.getAllFunctions()) {
      const definition = this.serverless.service.getFunction(key);
      // A function that names a boundary of its own keeps it: the execution role still refuses any other.
      definition.iamPermissionsBoundary ??= this.boundary;
    }
  }
}

module.exports = PermissionsBoundary;
