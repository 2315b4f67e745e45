// `serverless offline` on the local stage only: each function runs with
// credentials of its own, an access key id derived from its name
// (functionAccessKeyId in tools/local-runtime/aws.cjs), so that the local
// IAM layer (tools/local-runtime/iam) knows which function signed each call and
// checks it against that function's role. serverless-offline gives a function
// its own `environment` over the AWS_* variables it copies from its process,
// and runs each function in a worker thread with that environment.
// It also passes on the local stack's fault-injection settings (LOCAL_FAULT_*).
// Packaging and deploying are untouched: Lambda reserves these variables, and
// in AWS a function signs with its role's session.
'use strict';

const { functionAccessKeyId } = require('../aws.cjs');
const { LOCAL_STAGE } = require('@platform/serverless-base/lib/names');

/**
 * The faults `npm run faults` asks the functions to inject (LOCAL_FAULT_*, e.g.
 * LOCAL_FAULT_CONSUMER_THROW_EVERY): serverless-offline hands a function only
 * the AWS_* variables of its process, so they are passed on here.
 */
const localFaults = (env = process.env) => Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith('LOCAL_FAULT_')));

class LocalFunctionCredentials {
  constructor(serverless) {
    this.serverless = serverless;
    const apply = () => this.apply();
    // `serverless offline start` runs offline:start:init; plain `serverless offline` runs offline:start.
    this.hooks = { 'before:offline:start:init': apply, 'before:offline:start': apply };
  }

  apply() {
    const { service } = this.serverless;
    if (this.serverless.getProvider('aws').getStage() !== LOCAL_STAGE) return;
    for (const key of service.getAllFunctions()) {
      const definition = service.getFunction(key);
      definition.environment = {
        ...definition.environment,
        ...localFaults(),
        AWS_ACCESS_KEY_ID: functionAccessKeyId(definition.name),
        AWS_SECRET_ACCESS_KEY: 'local',
      };
    }
  }
}

module.exports = LocalFunctionCredentials;
