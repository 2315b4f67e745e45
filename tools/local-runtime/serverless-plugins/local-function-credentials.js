// `serverless offline` on the local stage only: each function runs with
// credentials of its own, an access key id derived from its name
// (functionAccessKeyId in tools/local-runtime/aws.cjs), so that the local
// IAM layer (tools/local-runtime/iam) knows which function signed each call and
// checks it against that function's role. serverless-offline gives a function
// its own `environment` over the AWS_* variables it copies from its process,
// and runs each function in a worker thread with that environment.
// Nothing else is passed on: the local stack's settings (LOCAL_*, fault
// injection included) stay in the emulator (event-sources/), never in a function.
// Packaging and deploying are untouched: Lambda reserves these variables, and
// in AWS a function signs with its role's session.
//
// It also takes the `schedule` events out of what serverless-offline sees:
// serverless-offline would run them itself, on the wall clock, from the moment
// it starts (before the stack's tables and IAM roles exist) and outside the
// invoker's concurrency cap. The local runtime runs them instead, from the
// compiled template's AWS::Events::Rule / AWS::Scheduler::Schedule resources,
// once the stack is ready (event-sources/schedule-event-source.mjs). The
// compiled template, made by `serverless package`, keeps them.
//
// It measures each invocation in its worker thread (CPU time, duration, log
// bytes) for the cost model: lambda/worker-meter.cjs.
//
// And it says, in one line the local stack reads (lambda/offline.mjs), which
// Node the functions run on: serverless-offline runs them in worker threads of
// this process, so its process.version is theirs.
'use strict';

const { functionAccessKeyId, functionSecretAccessKey } = require('../aws.cjs');
const { installWorkerMeter } = require('../lambda/worker-meter.cjs');
const { LOCAL_STAGE } = require('@platform/serverless-base/lib/names');

class LocalFunctionCredentials {
  /** @param {import('@platform/serverless-base/types').Serverless} serverless */
  constructor(serverless) {
    this.serverless = serverless;
    const apply = () => this.apply();
    // `serverless offline start` runs offline:start:init; plain `serverless offline` runs offline:start.
    this.hooks = { 'before:offline:start:init': apply, 'before:offline:start': apply };
  }

  apply() {
    const { service } = this.serverless;
    if (this.serverless.getProvider('aws').getStage() !== LOCAL_STAGE) return;
    process.stdout.write(`local-runtime: functions run on node ${process.version}\n`);
    // Each invocation's CPU time, duration and log output, measured in its worker thread (lambda/worker-meter.cjs).
    installWorkerMeter();
    for (const key of service.getAllFunctions()) {
      const definition = service.getFunction(key);
      definition.environment = {
        ...definition.environment,
        AWS_ACCESS_KEY_ID: functionAccessKeyId(definition.name),
        // Its own secret too: the local S3 front verifies presigned POSTs and URLs against the signer's secret.
        AWS_SECRET_ACCESS_KEY: functionSecretAccessKey(definition.name),
      };
      if (Array.isArray(definition.events)) definition.events = definition.events.filter((event) => !event?.schedule);
    }
  }
}

module.exports = LocalFunctionCredentials;
