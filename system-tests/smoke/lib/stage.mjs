// Where a smoke run goes, and with which token, for a stage:
//   local (the default): the running local stack. Inside a test run that
//     shares one stack (tools/local-stack/with-stack.mjs), that stack; else the
//     one `npm start` runs, on HTTP_PORT / DYNAMODB_PORT (3000 / 8000 unless
//     set, as npm start reads them). Tokens come from the local dev issuer.
//   any other stage: the stage's stacks in AWS, read with CloudFormation
//     DescribeStacks (the credentials and AWS_REGION of the environment), and a
//     token from the stage's issuer by the client credentials grant
//     (SMOKE_TOKEN_URL, SMOKE_CLIENT_ID, SMOKE_CLIENT_SECRET, and optionally
//     SMOKE_SCOPE and SMOKE_AUDIENCE: docs/delivery.md).
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DEFAULT_REGION, localClientConfig } from '@platform/local-runtime/aws';
import { loadDevIssuer } from '@platform/local-runtime/gateway/dev-issuer';
import { readConfig } from '@platform/local-runtime/stack/config';
import { SHARED_STACK_VARIABLE } from '@platform/local-stack/process';
import { CLIENT_VARIABLES, SMOKE_STACKS, clientCredentialsToken, targetFromOutputs } from './smoke.mjs';

export const LOCAL_STAGE = 'local';
/** Who the smoke test is on the local stage: catalogue staff (items:write) who also orders. */
const LOCAL_CALLER = { email: 'smoke@example.com', scopes: ['items:write'] };

/**
 * The running local stack's addresses.
 * @param {NodeJS.ProcessEnv} env
 * @returns {{ apiUrl: string, dynamodbEndpoint: string, from: string }}
 */
const localStack = (env) => {
  const shared = env[SHARED_STACK_VARIABLE];
  if (shared) {
    const stack = JSON.parse(shared);
    return { apiUrl: stack.apiUrl, dynamodbEndpoint: stack.dynamodbEndpoint, from: 'the shared test stack' };
  }
  const config = readConfig(env);
  return { apiUrl: `http://127.0.0.1:${config.httpPort}`, dynamodbEndpoint: `http://127.0.0.1:${config.dynamodbPort}`, from: 'npm start' };
};

/**
 * The outputs of the stage's smoke stacks, by stack name (undefined for a stack that does not exist).
 * @param {string} stage @param {string} region
 * @returns {Promise<Record<string, Record<string, string> | undefined>>}
 */
const stackOutputs = async (stage, region) => {
  const cloudFormation = new CloudFormationClient({ region });
  try {
    const entries = await Promise.all(
      Object.values(SMOKE_STACKS).map(async (service) => {
        const name = `${service}-${stage}`;
        try {
          const { Stacks = [] } = await cloudFormation.send(new DescribeStacksCommand({ StackName: name }));
          return [name, Object.fromEntries((Stacks[0]?.Outputs ?? []).map((output) => [output.OutputKey, output.OutputValue]))];
        } catch (error) {
          if (/does not exist/.test(/** @type {Error} */ (error).message)) return [name, undefined];
          throw new Error(`DescribeStacks ${name}: ${/** @type {Error} */ (error).message}`);
        }
      }),
    );
    return Object.fromEntries(entries);
  } finally {
    cloudFormation.destroy();
  }
};

/**
 * Where the smoke run goes and how it gets its token.
 * @param {string} stage
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {Promise<{ target: import('./smoke.mjs').SmokeTarget, token: () => Promise<{ token: string, from: string }>, where: string }>}
 */
export const resolveStage = async (stage, env = process.env) => {
  if (stage === LOCAL_STAGE) {
    const stack = localStack(env);
    return {
      where: `${stack.apiUrl} (${stack.from})`,
      target: { itemsUrl: stack.apiUrl, ordersUrl: stack.apiUrl, notificationsTable: 'notifier-local-notifications', dynamodb: localClientConfig(stack.dynamodbEndpoint) },
      token: async () => {
        const issuer = await loadDevIssuer();
        return { token: await issuer.sign({ email: LOCAL_CALLER.email, scopes: LOCAL_CALLER.scopes, expiresInSeconds: 600 }), from: 'the local dev issuer' };
      },
    };
  }
  const region = env.AWS_REGION || DEFAULT_REGION;
  const target = { ...targetFromOutputs(stage, await stackOutputs(stage, region)), dynamodb: { region } };
  return {
    where: `stage ${stage} in ${region}`,
    target,
    token: async () => {
      const tokenUrl = env[CLIENT_VARIABLES.tokenUrl];
      const token = await clientCredentialsToken({
        tokenUrl,
        clientId: env[CLIENT_VARIABLES.clientId],
        clientSecret: env[CLIENT_VARIABLES.clientSecret],
        scope: env[CLIENT_VARIABLES.scope] || 'items:write',
        audience: env[CLIENT_VARIABLES.audience] || undefined,
      });
      return { token, from: `${new URL(/** @type {string} */ (tokenUrl)).origin} (client credentials)` };
    },
  };
};
