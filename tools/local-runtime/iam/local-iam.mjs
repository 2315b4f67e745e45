// IAM enforced locally, for `npm start`: one enforcing proxy in front of
// DynamoDB Local and one in front of the SNS/SQS emulator (each forwarding to
// where the Lambda side reaches them: config.runtime*Port). The functions are
// pointed at the proxies and sign with keys of their own
// (tools/local-runtime/serverless-plugins/local-function-credentials.js); once the stacks are
// provisioned, `enforce` loads every function's role from the templates.
// Until then, and for a key no function has, every call is refused.
//
// With the stack's recorder (LOCAL_CONSOLE on), each SNS Publish and
// PublishBatch a function makes and the emulator takes is recorded as a
// `publish` hop, so the console shows events no queue subscribes to.
//
// LOCAL_IAM=off turns it off: functions then reach the emulators directly,
// allowed everything, and the stack says so loudly; nothing passes the
// proxies then, so no publish is recorded.
import { createAuthorizer, KNOWN_CONDITION_KEYS } from './authorizer.mjs';
import { evaluate } from './evaluate.mjs';
import { startEnforcingProxy } from './enforcing-proxy.mjs';
import { eventSourceMappingChecks, functionRoles, tableHashKeys } from './policy-from-template.mjs';
import { meterCall } from './usage-meter.mjs';
import { createWriteLog } from './write-log.mjs';

/** Whether LOCAL_IAM leaves IAM on (the local S3 front asks too). @param {NodeJS.ProcessEnv} env */
export const enforcementWanted = (env) => {
  const value = (env.LOCAL_IAM ?? '').toLowerCase();
  if (!['', 'on', 'off'].includes(value)) throw new Error(`LOCAL_IAM must be on or off, got ${env.LOCAL_IAM}`);
  return value !== 'off';
};

const NOT_ENFORCED = [
  '!!! LOCAL_IAM=off: IAM is NOT enforced. Every function may call anything here,',
  '!!! so a call its role does not allow passes locally and fails in AWS with AccessDenied.',
];

/**
 * The problems AWS would refuse an event source mapping for: actions its
 * function's role does not allow on its queue or stream, or its on-failure destination.
 * @param {any[]} stacks @param {Map<string, import('./policy-from-template.mjs').FunctionRole>} roles
 * @returns {string[]}
 */
export const eventSourceMappingProblems = (stacks, roles) =>
  eventSourceMappingChecks(stacks).flatMap(({ functionName, description, checks }) => {
    const role = roles.get(functionName);
    const refused = checks.filter((check) => evaluate(role?.statements ?? [], check, { knownKeys: KNOWN_CONDITION_KEYS }).decision !== 'Allow');
    return refused.length === 0
      ? []
      : [`${description}: ${functionName}'s role does not allow ${refused.map((check) => `${check.action} on ${check.resource}`).join(', ')}, which Lambda needs for it`];
  });

/**
 * @param {{ region: string, runtimeDynamodbPort: number, runtimeSnsSqsPort: number }} config
 * @param {{ log: (line: string) => void, env?: NodeJS.ProcessEnv, recorder?: { record: (hop: import('./publish-hop.mjs').PublishHop) => void } }} options
 *   recorder: the stack's (stack/recorder.mjs), told of each publish a function made; none with LOCAL_CONSOLE=off
 */
export const startLocalIam = async (config, { log, env = process.env, recorder }) => {
  /** @param {string} line */
  const say = (line) => log(`[iam] ${line}`);
  if (!enforcementWanted(env)) {
    NOT_ENFORCED.forEach((line) => console.error(`[iam] ${line}`));
    return {
      dynamodbPort: config.runtimeDynamodbPort,
      snsSqsPort: config.runtimeSnsSqsPort,
      enforce: () => NOT_ENFORCED.forEach((line) => console.error(`[iam] ${line}`)),
      /** @type {WritesOf} */
      writesOf: async () => ({ known: false, reason: 'LOCAL_IAM=off: the functions reach the emulators directly, unseen' }),
      close: async () => {},
    };
  }
  // What the functions wrote, kept across `enforce` (which replaces the authorizer).
  const writes = createWriteLog();
  let authorizer = createAuthorizer({ roles: new Map(), region: config.region, log: say, writes, recorder });
  /** @type {import('./enforcing-proxy.mjs').Authorizer} */
  const current = {
    passesThrough: (header) => authorizer.passesThrough(header),
    authorize: (request) => authorizer.authorize(request),
    answered: (request, status) => authorizer.answered?.(request, status),
  };
  const [dynamodb, snsSqs] = await Promise.all([
    // Each call forwarded is counted into the stack's usage meter (usage-meter.mjs, for the cost model).
    startEnforcingProxy({ upstreamPort: config.runtimeDynamodbPort, emulator: 'dynamodb', authorizer: current, meter: meterCall }),
    startEnforcingProxy({ upstreamPort: config.runtimeSnsSqsPort, emulator: 'sns-sqs', authorizer: current, meter: meterCall }),
  ]);
  return {
    dynamodbPort: dynamodb.port,
    snsSqsPort: snsSqs.port,
    /**
     * Enforces the roles of these provisioned stacks' functions; throws when
     * an event source mapping's function may not do what Lambda needs.
     * @param {any[]} stacks
     */
    enforce: (stacks) => {
      const roles = functionRoles(stacks, { warn: (line) => say(`warning: ${line}`) });
      const problems = eventSourceMappingProblems(stacks, roles);
      if (problems.length > 0) throw new Error(`AWS would refuse these event source mappings:\n  ${problems.join('\n  ')}`);
      authorizer = createAuthorizer({ roles, region: config.region, hashKeys: tableHashKeys(stacks), log: say, writes, recorder });
      say(`enforcing the roles of ${roles.size} functions (DynamoDB via port ${dynamodb.port}, SNS/SQS via port ${snsSqs.port}); LOCAL_IAM=off turns it off`);
    },
    /** What an invocation wrote, as the proxies saw it (write-log.mjs). @type {WritesOf} */
    writesOf: (invocation) => writes.writesOf(invocation),
    close: async () => {
      await Promise.all([dynamodb.close(), snsSqs.close()]);
    },
  };
};

/**
 * @typedef {(invocation: { functionName: string, marker?: string, startedAt: number, endedAt: number, alone: boolean }) => Promise<import('./write-log.mjs').Writes>} WritesOf
 */
