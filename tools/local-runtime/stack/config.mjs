// `npm start`'s settings, all from environment variables, checked up front
// so that a typo fails at once with the variable's name.
import path from 'node:path';
import { DEFAULT_CONCURRENCY } from '../lambda/lambda-invoke.mjs';
import { DEFAULT_REGION } from '../aws.cjs';
import { ROOT } from './services.mjs';

/** Where LOCAL_PERSIST=1 keeps the emulators' data: git-ignored. */
export const LOCAL_DATA_DIR = '.local-data';

/** @param {NodeJS.ProcessEnv} env @param {string} variable @param {number} fallback */
const port = (env, variable, fallback) => {
  const value = Number(env[variable] || fallback);
  if (!Number.isInteger(value) || value <= 0 || value > 65535) throw new Error(`${variable} must be a TCP port, got ${env[variable]}`);
  return value;
};

/** @param {NodeJS.ProcessEnv} env @param {string} variable @param {number} min @param {number} max */
const optionalInteger = (env, variable, min, max) => {
  if (env[variable] === undefined || env[variable] === '') return undefined;
  const value = Number(env[variable]);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${variable} must be a whole number from ${min} to ${max}, got ${env[variable]}`);
  return value;
};

/** An on/off switch, on unless set to off. @param {NodeJS.ProcessEnv} env @param {string} variable */
const onUnlessOff = (env, variable) => {
  const value = (env[variable] ?? '').toLowerCase();
  if (!['', 'on', 'off'].includes(value)) throw new Error(`${variable} must be on or off, got ${env[variable]}`);
  return value !== 'off';
};

/** @param {NodeJS.ProcessEnv} env */
const consoleEnabled = (env) => onUnlessOff(env, 'LOCAL_CONSOLE');

/** LOCAL_PERSIST=1 (or on, true): where the data is kept; unset, 0, off or false: undefined, in memory. @param {NodeJS.ProcessEnv} env */
const persistDir = (env) => {
  const value = (env.LOCAL_PERSIST ?? '').toLowerCase();
  if (['', '0', 'off', 'false'].includes(value)) return undefined;
  if (['1', 'on', 'true'].includes(value)) return path.join(ROOT, LOCAL_DATA_DIR);
  throw new Error(`LOCAL_PERSIST must be 1 (keep the data in ${LOCAL_DATA_DIR}/) or 0, got ${env.LOCAL_PERSIST}`);
};

/**
 * Whether the local runtime prints its debug lines (serverless-offline's trace of a
 * failed invocation): LOCAL_LOG_LEVEL=debug, or LOG_LEVEL=DEBUG, which also sets the
 * functions' own log level (and so recompiles the templates).
 * @param {NodeJS.ProcessEnv} env
 */
const debugWanted = (env) => {
  const local = (env.LOCAL_LOG_LEVEL ?? '').toLowerCase();
  if (!['', 'debug', 'info'].includes(local)) throw new Error(`LOCAL_LOG_LEVEL must be debug or info, got ${env.LOCAL_LOG_LEVEL}`);
  return local === 'debug' || (local === '' && (env.LOG_LEVEL ?? '').toLowerCase() === 'debug');
};

/**
 * @typedef {object} LocalConfig
 * @property {string} region
 * @property {number} dynamodbPort
 * @property {number} snsSqsPort
 * @property {number} s3Port  the local S3 front (S3_PORT): every S3 request, the functions' and presigned URLs' alike, goes through it to fauxqs's S3
 * @property {number} runtimeDynamodbPort  where functions and pollers reach DynamoDB (`npm run faults` puts a proxy here)
 * @property {number} runtimeSnsSqsPort    where functions and pollers reach SNS/SQS
 * @property {number} httpPort
 * @property {number} lambdaPortBase  each service with functions takes two ports from here on
 * @property {number | undefined} retryVisibilitySeconds
 * @property {number | undefined} streamMaxRecordAgeSeconds  LOCAL_STREAM_MAX_RECORD_AGE_SECONDS: a stream record still failing this long after its first read is given up on (undefined: the mapping's MaximumRecordAgeInSeconds alone)
 * @property {number} concurrency
 * @property {number | undefined} consumerFaultEvery  `npm run faults`: every Nth record an SQS event source takes fails by injection (undefined: never)
 * @property {number | undefined} consolePort  the local console's port (tools/console); undefined when LOCAL_CONSOLE=off
 * @property {boolean} consolePortChosen  CONSOLE_PORT was set: the console must get that port, never another
 * @property {string | undefined} persistDir  LOCAL_PERSIST=1: where DynamoDB Local's data (and the stream pollers' checkpoints) are kept; undefined: in memory
 * @property {boolean} schedules  LOCAL_SCHEDULES: whether the templates' schedules run (on unless off)
 * @property {boolean} showDebug  LOCAL_LOG_LEVEL=debug (or LOG_LEVEL=DEBUG): the local runtime's debug lines are printed
 */

/** @param {NodeJS.ProcessEnv} [env] @returns {LocalConfig} */
export const readConfig = (env = process.env) => {
  const dynamodbPort = port(env, 'DYNAMODB_PORT', 8000);
  const snsSqsPort = port(env, 'SNS_SQS_PORT', 4566);
  return {
    region: env.AWS_REGION || DEFAULT_REGION,
    dynamodbPort,
    snsSqsPort,
    s3Port: port(env, 'S3_PORT', 4568),
    // The Lambda side of the stack (the functions' SDK calls, the pollers) can be sent
    // through something else in front of the emulators: `npm run faults` puts a
    // fault-injecting proxy there. Tools and provisioning always go straight in.
    runtimeDynamodbPort: port(env, 'LOCAL_RUNTIME_DYNAMODB_PORT', dynamodbPort),
    runtimeSnsSqsPort: port(env, 'LOCAL_RUNTIME_SNS_SQS_PORT', snsSqsPort),
    httpPort: port(env, 'HTTP_PORT', 3000),
    lambdaPortBase: port(env, 'LAMBDA_PORT_BASE', 3002),
    // Unset: a failed SQS record waits out its queue's visibility timeout, as in AWS.
    retryVisibilitySeconds: optionalInteger(env, 'LOCAL_SQS_RETRY_SECONDS', 0, 43200),
    // Unset: a failing stream batch is retried until its records are as old as the mapping's
    // MaximumRecordAgeInSeconds (23 h for the outbox relays), as in AWS; set, it goes to the
    // mapping's on-failure destination (the relay DLQ) this many seconds after its first read.
    streamMaxRecordAgeSeconds: optionalInteger(env, 'LOCAL_STREAM_MAX_RECORD_AGE_SECONDS', 1, 604800),
    // Invocations of one function that may run at once (its reserved concurrency, when lower, wins).
    concurrency: optionalInteger(env, 'LOCAL_LAMBDA_CONCURRENCY', 1, 1000) ?? DEFAULT_CONCURRENCY,
    // Fault injection for `npm run faults`, done by the SQS pollers (event-sources/sqs-event-source.mjs),
    // never by the functions: their bundles know nothing of it. Unset or 0: off.
    consumerFaultEvery: optionalInteger(env, 'LOCAL_FAULT_CONSUMER_THROW_EVERY', 0, 1_000_000) || undefined,
    // The local console and the hop recorder behind it; LOCAL_CONSOLE=off runs the stack without both.
    consolePort: consoleEnabled(env) ? port(env, 'CONSOLE_PORT', 3100) : undefined,
    consolePortChosen: Boolean(env.CONSOLE_PORT),
    persistDir: persistDir(env),
    schedules: onUnlessOff(env, 'LOCAL_SCHEDULES'),
    showDebug: debugWanted(env),
  };
};
