// Names that fit AWS's limits, for any stage this allows:
// - `serverless package` and `serverless deploy` refuse a stage that is not a
//   stage name, or that is too long for some service's names, before anything
//   is compiled or any credentials are looked for, saying how long a stage may
//   be for each service (lib/stage-names.cjs). Without it, a long stage failed
//   half-way: the role-per-function plugin threw, or CloudFormation refused a
//   name mid-deploy.
// - Each function's own role gets a name that fits 64 characters
//   (lib/names.cjs functionRoleName), set as the function's
//   iamRoleStatementsName before serverless-iam-roles-per-function reads it.
// Listed in base.cjs for every service, the platform stack included.
'use strict';

const { functionRoleName } = require('../lib/names.cjs');
const { configNames, stageRefusal } = require('../lib/stage-names.cjs');

/** The commands that create or change a stack from a stage's names. */
const CHECKED_COMMANDS = new Set(['package', 'deploy']);

class NameLimits {
  /** @param {import('@platform/serverless-base/types').Serverless} serverless */
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = {
      // The first lifecycle event of every command: the configuration is
      // resolved, nothing is compiled and no credentials have been looked for.
      initialize: () => {
        const [command] = serverless.processedInput?.commands ?? [];
        if (command && CHECKED_COMMANDS.has(command)) this.refuseStagesThatCannotFit();
      },
      // Before the framework compiles functions and long before
      // serverless-iam-roles-per-function names roles (before:package:finalize).
      'before:package:compileFunctions': () => this.nameRoles(),
    };
  }

  /** The service's names on this stage, from its resolved configuration. */
  names() {
    const { service, provider, functions, resources } = this.serverless.service;
    return configNames({ service, stage: provider.stage, region: provider.region, stackName: provider.stackName, functions, resources });
  }

  refuseStagesThatCannotFit() {
    const { service, provider } = this.serverless.service;
    // In the region being packaged: a name that carries the region (a bucket's) leaves the stage less room in a region with a longer code.
    const refusal = stageRefusal({ service, stage: provider.stage, region: provider.region, entries: this.names() });
    if (refusal) throw new this.serverless.classes.Error(refusal);
  }

  nameRoles() {
    const { service, provider } = this.serverless.service;
    for (const key of this.serverless.service.getAllFunctions()) {
      const definition = this.serverless.service.getFunction(key);
      // A role the service names itself is its own to fit.
      if (definition.iamRoleStatements === undefined || definition.iamRoleStatementsName !== undefined) continue;
      definition.iamRoleStatementsName = functionRoleName({ service, stage: provider.stage, functionName: key, region: provider.region });
    }
  }
}

module.exports = NameLimits;
