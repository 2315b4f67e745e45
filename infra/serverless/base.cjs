// What every service's serverless.yml shares, in one place. A service takes
// the sections it needs:
//   plugins:  ${file(../../infra/serverless/base.cjs):plugins}
//   provider: ${file(../../infra/serverless/base.cjs):provider}
//   package:  ${file(../../infra/serverless/base.cjs):package}
//   custom.eventBus / custom.esbuild / custom.serverless-offline: the same way.
// and keeps in its own file only what is its own: `custom.environment` (merged
// into the provider's environment), functions and resources.
const { LOCAL_STAGE, LOCAL_ACCOUNT_ID: LOCAL_ACCOUNT, LOCAL_JWT_ISSUER, LOCAL_JWT_AUDIENCE } = require('./local-stage.cjs');
const EVENT_BUS_SERVICE = 'event-bus';
// What an unset issuer or audience compiles to: valid for the framework's schema (so a service
// without routes packages), refused by require-jwt-issuer.js in a service with routes.
const { JWT_NOT_SET } = require('./plugins/require-jwt-issuer.js');
const { metricsNamespace } = require('./lib/names.cjs');

const HTTP_API_ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  routeKey: '$context.routeKey',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  userAgent: '$context.identity.userAgent',
});

/** @param {{ resolveVariable: import('@platform/serverless-base/types').ResolveVariable }} framework */
module.exports = async ({ resolveVariable }) => {
  const stage = await resolveVariable('sls:stage');
  const region = await resolveVariable("env:AWS_REGION, 'us-east-1'");
  const local = stage === LOCAL_STAGE;
  const own = (await resolveVariable('self:custom.environment, null')) ?? {};
  const busTopicName = `${EVENT_BUS_SERVICE}-${stage}-domain-events`;
  const busExportName = `${EVENT_BUS_SERVICE}-${stage}-DomainEventsTopicArn`;
  const allowedOrigins = corsOrigins(local);
  const jwt = jwtSettings(local);
  // The team's CloudFormation execution role (infra/bootstrap, docs/bootstrap.md): the
  // deploy role may change its stacks only through it. Unset for a deploy with your own credentials.
  const deploymentRole = local ? null : await resolveVariable('env:CFN_EXECUTION_ROLE_ARN, null');

  const eventBus = {
    topicName: busTopicName,
    exportName: busExportName,
    // Resolved by CloudFormation at deploy time, so packaging needs no AWS access.
    topicArn: local ? `arn:aws:sns:${region}:${LOCAL_ACCOUNT}:${busTopicName}` : { 'Fn::ImportValue': busExportName },
  };

  return {
    // Plugins by package name, resolved from the service's folder. The local
    // stage's plugins load on that stage only: a deployed stage never loads
    // local code.
    plugins: [
      '@platform/serverless-base/plugins/one-packaging-at-a-time', // a local compile and a package or deploy of one service take turns
      '@platform/serverless-base/plugins/name-limits', // refuses a stage too long for the names, names each function's role to fit
      'serverless-esbuild',
      '@platform/serverless-base/plugins/permissions-boundary', // the team's boundary on every function role (PERMISSIONS_BOUNDARY_ARN)
      'serverless-iam-roles-per-function',
      '@platform/serverless-base/plugins/drop-unused-default-role', // after iam-roles-per-function: removes the unused shared role
      '@platform/serverless-base/plugins/require-jwt-issuer',
      ...(local ? ['serverless-offline'] : []),
      // After the others: alarms on every queue, function and API of the
      // compiled template, and active tracing on its topics (docs/operating.md).
      '@platform/serverless-base/plugins/observability',
      // `deploy` of a stack that does not exist: stops, naming the retained tables, DLQs and secrets still there.
      '@platform/serverless-base/plugins/retained-resources',
      // `deploy` of a stack that exists: CloudFormation rolls the update back if the
      // service's health alarm goes off (docs/decisions/0010-rollback-triggers.md).
      '@platform/serverless-base/plugins/rollback-triggers',
      ...(local
        ? [
            '@platform/local-runtime/serverless-plugins/local-conditions', // the local stage keeps only what CloudFormation would create
            '@platform/local-runtime/serverless-plugins/local-function-credentials', // `offline`: each function signs with its own key (local IAM)
          ]
        : []),
    ],
    // The platform stack (services/event-bus) has no functions: nothing to bundle or run offline.
    platformPlugins: [
      '@platform/serverless-base/plugins/one-packaging-at-a-time',
      '@platform/serverless-base/plugins/name-limits',
      '@platform/serverless-base/plugins/observability',
      ...(local ? ['@platform/local-runtime/serverless-plugins/local-conditions'] : []),
    ],
    provider: {
      name: 'aws',
      runtime: 'nodejs22.x',
      architecture: 'arm64',
      stage,
      region,
      memorySize: 256,
      timeout: 6,
      logRetentionInDays: 14,
      ...(deploymentRole && { iam: { deploymentRole } }),
      // X-Ray active tracing on every function in AWS; the observability plugin
      // grants each function's own role xray:PutTraceSegments/PutTelemetryRecords
      // (serverless-iam-roles-per-function does not). Locally there is no X-Ray,
      // so none (docs/operating.md).
      ...(local ? {} : { tracing: { lambda: true } }),
      // API Gateway access logs in AWS, one JSON line per request into a log group with
      // the same retention (the local gateway logs every request itself). requestId is
      // the flow's correlation id (docs/operating.md); no token, claim or body is logged.
      ...(local ? {} : { logs: { httpApi: { format: HTTP_API_ACCESS_LOG_FORMAT } } }),
      // Only compiled into a template when the service has httpApi events.
      httpApi: {
        payload: '2.0',
        cors: {
          allowedOrigins,
          allowedHeaders: ['content-type', 'idempotency-key', 'authorization'],
          allowedMethods: ['GET', 'POST', 'PATCH', 'DELETE', 'OPTIONS'],
          maxAge: 3600,
        },
        // One JWT authorizer per API; routes name it with the scopes they need
        // (`authorizer: { name: jwt, scopes: [...] }`), and API Gateway verifies
        // the token before any function runs. The local gateway does the same.
        authorizers: {
          jwt: {
            type: 'jwt',
            identitySource: '$request.header.Authorization',
            issuerUrl: jwt.issuerUrl,
            audience: jwt.audience,
          },
        },
      },
      environment: {
        POWERTOOLS_SERVICE_NAME: '${self:service}',
        POWERTOOLS_LOG_LEVEL: local ? "${env:LOG_LEVEL, 'INFO'}" : 'INFO',
        // Business metrics (Powertools Metrics, EMF lines on stdout) in one namespace per stage,
        // `Platform/<stage>`, the one the stage's dashboard reads.
        POWERTOOLS_METRICS_NAMESPACE: metricsNamespace(stage),
        // X-Ray traces in AWS only. Locally the Tracer is then never even loaded (libs/observability).
        POWERTOOLS_TRACE_ENABLED: local ? 'false' : 'true',
        NODE_OPTIONS: '--enable-source-maps',
        EVENTS_TOPIC_ARN: eventBus.topicArn,
        CORS_ALLOWED_ORIGINS: allowedOrigins.join(','),
        // Which verified claim carries the customer's email (an issuer may namespace it).
        JWT_EMAIL_CLAIM: local ? 'email' : '${param:jwtEmailClaim, env:JWT_EMAIL_CLAIM, "email"}',
        ...own,
      },
    },
    package: { individually: true },
    eventBus,
    // The HTTP APIs' default route settings, merged into each API's stage
    // (resources.extensions.HttpApiStage in a service with routes).
    // The browser origins of the HTTP APIs, for a bucket's CORS rules.
    corsOrigins: allowedOrigins,
    httpApiRouteSettings: { DetailedMetricsEnabled: false, ...routeThrottling(local) },
    esbuild: {
      bundle: true,
      minify: true,
      sourcemap: 'linked',
      // Maps keep their mappings (stack traces still name src/…:line) without
      // embedding every bundled source file, which was most of each zip.
      sourcesContent: false,
      target: 'node22',
      platform: 'node',
      format: 'cjs',
      // The Node.js 22 runtime ships AWS SDK v3: leave it out of every bundle.
      exclude: ['@aws-sdk/*'],
      // The local stack compiles templates while serverless-offline runs from
      // .esbuild in the same folder; a package run cleans its work folder
      // when done, so it gets one of its own (tools/local-runtime/cloudformation/compiled-stack.mjs).
      ...(process.env.ESBUILD_WORK_FOLDER && { outputWorkFolder: process.env.ESBUILD_WORK_FOLDER }),
      // Under `serverless offline`, a change to a watched file rebundles and makes serverless-offline
      // drop every function's worker, ending the invocations in flight ("exit code 1"). Only sources
      // are watched: never the work folders, each run's own (.esbuild-offline-<pid>, .esbuild-package-<pid>),
      // whose bundles are written while the stack runs (a template compile, a rebundle's own output).
      watch: {
        pattern: './**/*.(js|ts)',
        ignore: ['.esbuild*', '.esbuild*/**', '.serverless*', '.serverless*/**', '**/.build/**', 'dist/**', 'node_modules/**', 'tmp/**'],
      },
    },
    'serverless-offline': { noPrependStageInUrl: true },
  };
};

/**
 * The browser origins allowed to call the HTTP APIs: any locally; CI passes the environment's CORS_ORIGINS.
 * @param {boolean} local
 * @returns {string[]}
 */
const corsOrigins = (local) =>
  local
    ? ['*']
    : (process.env.CORS_ORIGINS || 'http://localhost:5173')
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean);

/**
 * Who issues the API's tokens, and for whom: the local dev issuer on the local
 * stage; elsewhere the stage params jwtIssuerUrl and jwtAudience
 * (`--param 'jwtIssuerUrl=https://…'`, or JWT_ISSUER_URL / JWT_AUDIENCE). They
 * are left as variables for the framework to resolve: a param cannot be read
 * while the provider section is being resolved. A service with routes and
 * none of them set fails to package (require-jwt-issuer.js).
 * @param {boolean} local
 */
const jwtSettings = (local) =>
  local
    ? { issuerUrl: LOCAL_JWT_ISSUER, audience: [LOCAL_JWT_AUDIENCE] }
    : {
        issuerUrl: `\${param:jwtIssuerUrl, env:JWT_ISSUER_URL, '${JWT_NOT_SET.issuerUrl}'}`,
        audience: [`\${param:jwtAudience, env:JWT_AUDIENCE, '${JWT_NOT_SET.audience}'}`],
      };

/**
 * Default route throttling of the HTTP APIs, in requests per second and burst,
 * from the stage params httpApiRateLimit / httpApiBurstLimit. The local stage
 * is not throttled by API Gateway: the local gateway's per-function
 * concurrency cap (LOCAL_LAMBDA_CONCURRENCY) stands in for Lambda's.
 * @param {boolean} local
 */
const routeThrottling = (local) =>
  local
    ? {}
    : {
        ThrottlingRateLimit: '${param:httpApiRateLimit, env:HTTP_API_RATE_LIMIT, 50}',
        ThrottlingBurstLimit: '${param:httpApiBurstLimit, env:HTTP_API_BURST_LIMIT, 100}',
      };
