// Where the queues are: the local stack (the default, reached exactly as
// `npm start` serves it) or a deployed stage in AWS, with the caller's own
// credentials and region.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SQSClient } from '@aws-sdk/client-sqs';
import { readConfig } from '@platform/local-runtime/stack/config';
import { localClientConfig } from '@platform/local-runtime/aws';
import { DlqError } from './errors.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The stage name the local stack compiles its templates with. */
export const LOCAL_STAGE = 'local';

/**
 * @typedef {object} Target
 * @property {'local' | 'aws'} kind
 * @property {string} stage
 * @property {string} where      for messages: "the local stack (http://…)" or "stage dev in AWS (eu-west-1)"
 * @property {string} [endpoint] the emulator's URL (local only)
 * @property {SQSClient} sqs
 * @property {string[]} services the services whose queues are looked for
 */

/**
 * Every deployable service: a folder of services/ with a serverless.yml (the
 * rule `npm start` and CI use), sorted.
 * @param {string} [root]
 * @returns {string[]}
 */
export const discoverServices = (root = ROOT) =>
  readdirSync(path.join(root, 'services'))
    .filter((name) => existsSync(path.join(root, 'services', name, 'serverless.yml')))
    .sort();

// Stage names as serverless accepts them; anything else is a typo.
const STAGE = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;

/**
 * The local stack's SNS/SQS emulator, on the port `npm start` uses
 * (SNS_SQS_PORT, default 4566), with its throw-away credentials.
 * @param {{ env?: NodeJS.ProcessEnv, services?: string[] }} [options]
 * @returns {Target}
 */
export const localTarget = ({ env = process.env, services = discoverServices() } = {}) => {
  let snsSqsPort;
  try {
    ({ snsSqsPort } = readConfig(env));
  } catch (error) {
    throw new DlqError(`bad local stack setting: ${/** @type {Error} */ (error).message}`, 'BAD_CONFIG');
  }
  const endpoint = `http://127.0.0.1:${snsSqsPort}`;
  return {
    kind: 'local',
    stage: LOCAL_STAGE,
    where: `the local stack (${endpoint})`,
    endpoint,
    // A refused connection is answered at once; a few quick attempts are enough.
    sqs: new SQSClient({
      ...localClientConfig(endpoint),
      // The emulator's queue URLs name the host sqs.<region>.localhost, which does not resolve.
      useQueueUrlAsEndpoint: false,
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 2_000, requestTimeout: 30_000 },
    }),
    services,
  };
};

/**
 * A deployed stage, with the credentials and region the AWS SDK finds
 * (AWS_PROFILE, AWS_ACCESS_KEY_ID…, SSO, AWS_REGION; `region` wins).
 * @param {{ stage: string, region?: string, services?: string[] }} options
 * @returns {Target}
 */
export const awsTarget = ({ stage, region, services = discoverServices() }) => {
  if (!STAGE.test(stage)) throw new DlqError(`not a stage name: ${JSON.stringify(stage)} (letters, digits and hyphens)`, 'BAD_STAGE');
  return {
    kind: 'aws',
    stage,
    where: `stage ${stage} in AWS${region ? ` (${region})` : ''}`,
    // Requests go to the endpoint the SDK resolves (AWS_ENDPOINT_URL_SQS when set), whatever host a queue URL names.
    sqs: new SQSClient({ ...(region && { region }), useQueueUrlAsEndpoint: false, requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 } }),
    services,
  };
};

/**
 * `stage` unset or `local`: the local stack; any other stage: AWS.
 * @param {{ stage?: string, region?: string, env?: NodeJS.ProcessEnv, services?: string[] }} [options]
 * @returns {Target}
 */
export const createTarget = ({ stage, region, env = process.env, services } = {}) =>
  stage === undefined || stage === LOCAL_STAGE ? localTarget({ env, services }) : awsTarget({ stage, region, services });

/**
 * Fills in the region once the SDK has resolved it, for messages.
 * @param {Target} target
 */
export const describeRegion = async (target) => {
  if (target.kind !== 'aws' || /\(/.test(target.where)) return;
  const region = await target.sqs.config.region();
  target.where = `stage ${target.stage} in AWS (${region})`;
};
