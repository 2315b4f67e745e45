// What every local process agrees on to talk to the emulators: the account
// id, the throw-away credentials, the AWS environment block, and how to find
// free ports. The local stack (tools/local-runtime), the jest setup (tools/jest), the
// bench and this library's TypeScript all load this one copy; CommonJS is
// what each of them can load.
'use strict';

const { createHash } = require('node:crypto');
const net = require('node:net');

// The local stage as the deploy configuration defines it (account id, dev issuer).
const { LOCAL_ACCOUNT_ID, LOCAL_JWT_ISSUER, LOCAL_JWT_AUDIENCE } = require('@platform/serverless-base/local-stage');
const DEFAULT_REGION = 'us-east-1';
/** Throw-away credentials: the emulators accept any, and they keep the SDK from looking for real ones. */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * The access key id a function runs with locally (tools/local-runtime/serverless-plugins/local-function-credentials.js),
 * by which the local IAM layer (tools/local-runtime/iam) knows whose role to check; the
 * admin key above is never checked. Letters and digits only, as DynamoDB Local requires.
 * @param {string} functionName
 */
const functionAccessKeyId = (functionName) => `LOCALFN${createHash('sha256').update(functionName).digest('hex').slice(0, 13).toUpperCase()}`;

/**
 * The secret access key a function signs with locally, derived from its name
 * like its key id, so that a signature the local S3 front verifies (a presigned
 * POST or URL, tools/local-runtime/s3) is checked against the signer's own secret:
 * a URL signed by one function's key and another's secret is refused, as in AWS.
 * @param {string} functionName
 */
const functionSecretAccessKey = (functionName) => `localsecret${createHash('sha256').update(`secret:${functionName}`).digest('hex').slice(0, 29)}`;

/**
 * The environment every AWS SDK client of the local stack runs with, in this
 * process and in its children (serverless-offline passes AWS_* on to the functions).
 * s3Port: the local S3 front (tools/local-runtime/s3/s3-front.mjs), which every S3 request goes through.
 * @param {{ region?: string, dynamodbPort?: number, snsSqsPort?: number, s3Port?: number }} options
 * @returns {Record<string, string>}
 */
const localAwsEnv = ({ region = DEFAULT_REGION, dynamodbPort, snsSqsPort, s3Port } = {}) => ({
  AWS_REGION: region,
  AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  ...(dynamodbPort !== undefined && {
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${dynamodbPort}`,
    AWS_ENDPOINT_URL_DYNAMODB_STREAMS: `http://127.0.0.1:${dynamodbPort}`,
  }),
  ...(snsSqsPort !== undefined && {
    AWS_ENDPOINT_URL_SNS: `http://127.0.0.1:${snsSqsPort}`,
    AWS_ENDPOINT_URL_SQS: `http://127.0.0.1:${snsSqsPort}`,
  }),
  ...(s3Port !== undefined && { AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${s3Port}` }),
});

/**
 * What an AWS SDK client needs to reach an emulator at `endpoint`, whatever
 * the environment says.
 * @param {string} endpoint
 * @returns {{ endpoint: string, region: string, credentials: { accessKeyId: string, secretAccessKey: string } }}
 */
const localClientConfig = (endpoint) => ({ endpoint, region: DEFAULT_REGION, credentials: { ...LOCAL_CREDENTIALS } });

/**
 * Gives `env` the local region and credentials where it has none, so the SDK
 * never looks for real ones; values already set are kept.
 * @param {NodeJS.ProcessEnv} [env]
 */
const useLocalCredentials = (env = process.env) => {
  for (const [name, value] of Object.entries(localAwsEnv({ region: env.AWS_REGION }))) env[name] ??= value;
};

/** @param {number} port @returns {Promise<net.Server | undefined>} */
const listen = (port) =>
  new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });

/** @param {net.Server} server */
const close = (server) => new Promise((resolve) => server.close(() => resolve(undefined)));

/**
 * A TCP port that was free a moment ago (the OS picks it).
 * @returns {Promise<number>}
 */
const freePort = async () => {
  const server = await listen(0);
  if (!server) throw new Error('No free TCP port');
  const { port } = /** @type {net.AddressInfo} */ (server.address());
  await close(server);
  return port;
};

/**
 * Distinct free ports: `singles` anywhere, plus a run of `runLength`
 * consecutive ones (the local stack's internal Lambda ports). All are held
 * open until all are found, so none is handed out twice.
 * @param {number} singles
 * @param {number} runLength
 * @returns {Promise<{ ports: number[], runBase: number }>}
 */
const reservePorts = async (singles, runLength) => {
  /** @type {net.Server[]} */
  const held = [];
  try {
    const ports = [];
    for (let i = 0; i < singles; i += 1) {
      const server = await listen(0);
      if (!server) throw new Error('No free TCP port');
      held.push(server);
      ports.push(/** @type {net.AddressInfo} */ (server.address()).port);
    }
    for (;;) {
      const base = 20_000 + Math.floor(Math.random() * 40_000);
      const run = await Promise.all(Array.from({ length: runLength }, (_, i) => listen(base + i)));
      const opened = /** @type {net.Server[]} */ (run.filter(Boolean));
      held.push(...opened);
      if (opened.length === runLength) return { ports, runBase: base };
    }
  } finally {
    await Promise.all(held.map(close));
  }
};

module.exports = {
  LOCAL_ACCOUNT_ID,
  DEFAULT_REGION,
  LOCAL_JWT_ISSUER,
  LOCAL_JWT_AUDIENCE,
  LOCAL_CREDENTIALS,
  functionAccessKeyId,
  functionSecretAccessKey,
  localAwsEnv,
  localClientConfig,
  useLocalCredentials,
  freePort,
  reservePorts,
};
