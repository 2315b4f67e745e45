// What every service's serverless.yml shares, in one place. A service takes
// the sections it needs:
//   plugins:  ${file(../../tools/serverless/base.cjs):plugins}
//   provider: ${file(../../tools/serverless/base.cjs):provider}
//   package:  ${file(../../tools/serverless/base.cjs):package}
//   custom.eventBus / custom.esbuild / custom.serverless-offline: the same way.
// and keeps in its own file only what is its own: `custom.environment` (merged
// into the provider's environment), functions and resources.
const LOCAL_STAGE = 'local';
// The emulators' account id: serverless-offline cannot resolve Ref or
// Fn::ImportValue, so the local stage spells ARNs out.
const { LOCAL_ACCOUNT_ID: LOCAL_ACCOUNT } = require('../../libs/testing/src/local-aws.cjs');
const EVENT_BUS_SERVICE = 'event-bus';

module.exports = async ({ resolveVariable }) => {
  const stage = await resolveVariable('sls:stage');
  const region = await resolveVariable("env:AWS_REGION, 'us-east-1'");
  const local = stage === LOCAL_STAGE;
  const own = (await resolveVariable('self:custom.environment, null')) ?? {};
  const busTopicName = `${EVENT_BUS_SERVICE}-${stage}-domain-events`;
  const busExportName = `${EVENT_BUS_SERVICE}-${stage}-DomainEventsTopicArn`;
  const allowedOrigins = corsOrigins(local);

  const eventBus = {
    topicName: busTopicName,
    exportName: busExportName,
    // Resolved by CloudFormation at deploy time, so packaging needs no AWS access.
    topicArn: local ? `arn:aws:sns:${region}:${LOCAL_ACCOUNT}:${busTopicName}` : { 'Fn::ImportValue': busExportName },
  };

  return {
    plugins: {
      // Local plugins (tools/serverless) first, then npm packages.
      localPath: '../../tools/serverless',
      modules: [
        'serverless-esbuild',
        'serverless-iam-roles-per-function',
        'drop-unused-default-role', // after iam-roles-per-function: removes the unused shared role
        'serverless-offline',
      ],
    },
    provider: {
      name: 'aws',
      runtime: 'nodejs22.x',
      architecture: 'arm64',
      stage,
      region,
      memorySize: 256,
      timeout: 6,
      logRetentionInDays: 14,
      // Only compiled into a template when the service has httpApi events.
      httpApi: {
        payload: '2.0',
        cors: {
          allowedOrigins,
          allowedHeaders: ['content-type', 'idempotency-key', 'authorization'],
          allowedMethods: ['GET', 'POST', 'PATCH', 'DELETE', 'OPTIONS'],
          maxAge: 3600,
        },
      },
      environment: {
        POWERTOOLS_SERVICE_NAME: '${self:service}',
        POWERTOOLS_LOG_LEVEL: local ? "${env:LOG_LEVEL, 'INFO'}" : 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
        EVENTS_TOPIC_ARN: eventBus.topicArn,
        CORS_ALLOWED_ORIGINS: allowedOrigins.join(','),
        ...own,
      },
    },
    package: { individually: true },
    eventBus,
    esbuild: {
      bundle: true,
      minify: true,
      sourcemap: 'linked',
      target: 'node22',
      platform: 'node',
      format: 'cjs',
      // The Node.js 22 runtime ships AWS SDK v3: leave it out of every bundle.
      exclude: ['@aws-sdk/*'],
      // The local stack compiles templates while serverless-offline runs from
      // .esbuild in the same folder; a package run cleans its work folder
      // when done, so it gets one of its own (tools/local/lib/compiled-stack.mjs).
      ...(process.env.ESBUILD_WORK_FOLDER && { outputWorkFolder: process.env.ESBUILD_WORK_FOLDER }),
    },
    'serverless-offline': { noPrependStageInUrl: true },
  };
};

/** The browser origins allowed to call the HTTP APIs: any locally; CI passes the environment's CORS_ORIGINS. */
const corsOrigins = (local) =>
  local
    ? ['*']
    : (process.env.CORS_ORIGINS || 'http://localhost:5173')
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean);
