// `npm run smoke` on the local stack, as a user runs it against `npm start`
// (HTTP_PORT / DYNAMODB_PORT name the stack), plus what a deployed stage's run
// depends on: reading the stacks' outputs, the client credentials grant, and
// failing, with the clean-up, when a step fails. In `npm test` it runs on the
// stack the first step of system-tests' e2e target shares (tools/local-stack/with-stack.mjs).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, localClientConfig } from '@platform/local-runtime/aws';
import { loadDevIssuer } from '@platform/local-runtime/gateway/dev-issuer';
import { SHARED_STACK_VARIABLE, startLocalStack } from '@platform/local-stack/process';
import { clientCredentialsToken, runSmoke, targetFromOutputs } from '../lib/smoke.mjs';

const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), '../smoke.mjs');

/** @param {string[]} args @param {NodeJS.ProcessEnv} env @returns {Promise<{ code: number | null, stdout: string, stderr: string }>} */
const runCli = (args, env) =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });

describe('npm run smoke on the local stack', () => {
  /** @type {import('@platform/local-stack/process').RunningStack} */
  let stack;
  before(async () => {
    stack = await startLocalStack({ env: { LOCAL_SQS_RETRY_SECONDS: '1' } });
  });
  after(async () => {
    await stack?.stop();
  });

  it('creates and reads an item, has an order decided and notified, cleans up, one timed line per step', async () => {
    /** @type {NodeJS.ProcessEnv} */
    const env = { ...process.env, HTTP_PORT: new URL(stack.apiUrl).port, DYNAMODB_PORT: new URL(stack.dynamodbEndpoint).port };
    delete env[SHARED_STACK_VARIABLE];
    const started = performance.now();
    const run = await runCli([], env);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    // The run's own output, for the record (and the timing it adds to the suite).
    console.log(`${run.stdout}(the whole command: ${seconds} s)`);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const steps = run.stdout
      .split('\n')
      .map((line) => /^\[smoke\] (ok|FAIL) +(\d+) ms {2}([^:]+)/.exec(line))
      .filter((match) => match !== null)
      .map((match) => [match[1], match[3]]);
    assert.deepEqual(steps, [
      ['ok', 'find the stage'],
      ['ok', 'get a token'],
      ['ok', 'create an item'],
      ['ok', 'read the item'],
      ['ok', 'place an order'],
      ['ok', 'wait for the order to be decided'],
      ['ok', 'wait for the notification to be recorded'],
      ['ok', 'clean up'],
    ]);
    assert.match(run.stdout, /\[smoke\] local: http:\/\/127\.0\.0\.1:\d+ \(npm start\)/);
    assert.match(run.stdout, /\[smoke\] local: passed in \d+\.\d s/);
    // What it made is gone: the item it created answers 404.
    const itemId = /create an item: (\S+)/.exec(run.stdout)?.[1];
    assert.equal((await fetch(`${stack.apiUrl}/items/${itemId}`)).status, 404);
  });

  it('fails, naming the step, when a step fails, and still cleans up', async () => {
    const lines = /** @type {string[]} */ ([]);
    const result = await runSmoke({
      stage: 'local',
      // The real stack for items, but nothing where the orders API should be: the run gets as far as the order.
      target: { itemsUrl: stack.apiUrl, ordersUrl: `http://127.0.0.1:${await freePort()}`, notificationsTable: 'notifier-local-notifications', dynamodb: localClientConfig(stack.dynamodbEndpoint) },
      token: async () => ({ token: await (await loadDevIssuer()).sign({ email: 'smoke@example.com', scopes: ['items:write'] }), from: 'the local dev issuer' }),
      timeoutMs: 1_000,
      log: (line) => lines.push(line),
    });
    assert.equal(result.ok, false);
    assert.deepEqual(
      result.steps.map((step) => `${step.ok ? 'ok' : 'FAIL'} ${step.name}`),
      ['ok find the stage', 'ok get a token', 'ok create an item', 'ok read the item', 'FAIL place an order', 'ok clean up'],
    );
    assert.match(lines.find((line) => line.startsWith('FAIL')) ?? '', /^FAIL +\d+ ms {2}place an order: fetch failed/);
    const itemId = result.steps.find((step) => step.name === 'create an item')?.detail;
    assert.equal((await fetch(`${stack.apiUrl}/items/${itemId}`)).status, 404);
  });

  it('fails at its first call, exit code 1, when no stack answers there', async () => {
    /** @type {NodeJS.ProcessEnv} */
    const env = { ...process.env, HTTP_PORT: String(await freePort()), DYNAMODB_PORT: String(await freePort()) };
    delete env[SHARED_STACK_VARIABLE];
    const run = await runCli(['--stage', 'local', '--timeout', '2'], env);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /FAIL +\d+ ms {2}find the stage: nothing answers at http:\/\/127\.0\.0\.1:\d+ \(fetch failed\): is the stage's stack running\?/);
    assert.doesNotMatch(run.stdout, /get a token|clean up/);
    assert.match(run.stdout, /\[smoke\] local: FAILED in \d+\.\d s/);
  });
});

describe('a deployed stage', () => {
  it('finds the APIs and the notifications table in the stacks’ outputs', () => {
    assert.deepEqual(
      targetFromOutputs('pr-7', {
        'items-api-pr-7': { HttpApiUrl: 'https://a.execute-api.us-east-1.amazonaws.com/', ItemsTableName: 'items-api-pr-7-items' },
        'order-processor-pr-7': { HttpApiUrl: 'https://b.execute-api.us-east-1.amazonaws.com' },
        'notifier-pr-7': { NotificationsTableName: 'notifier-pr-7-notifications' },
      }),
      { itemsUrl: 'https://a.execute-api.us-east-1.amazonaws.com', ordersUrl: 'https://b.execute-api.us-east-1.amazonaws.com', notificationsTable: 'notifier-pr-7-notifications' },
    );
  });

  it('names every stack or output that is missing', () => {
    assert.throws(
      () => targetFromOutputs('staging', { 'items-api-staging': {}, 'notifier-staging': { NotificationsTableName: 't' } }),
      /stage staging is not \(fully\) deployed: items-api-staging has no output HttpApiUrl; no stack order-processor-staging$/,
    );
  });

  describe('the client credentials grant', () => {
    /** @type {import('node:http').Server} */
    let issuer;
    /** @type {string} */
    let tokenUrl;
    /** @type {Array<{ authorization?: string, body: string }>} */
    const requests = [];
    before(async () => {
      // A token endpoint as RFC 6749 4.4 describes it: HTTP Basic client authentication, form body.
      issuer = createServer((request, response) => {
        let body = '';
        request.on('data', (chunk) => (body += chunk));
        request.on('end', () => {
          requests.push({ authorization: request.headers.authorization, body });
          const known = request.headers.authorization === `Basic ${Buffer.from('smoke-client:s3cr%3At').toString('base64')}`;
          response.writeHead(known ? 200 : 401, { 'content-type': 'application/json' });
          response.end(JSON.stringify(known ? { access_token: 'the-token', token_type: 'Bearer', expires_in: 3600 } : { error: 'invalid_client' }));
        });
      });
      await new Promise((resolve) => issuer.listen(0, '127.0.0.1', () => resolve(undefined)));
      tokenUrl = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (issuer.address()).port}/oauth2/token`;
    });
    after(() => new Promise((resolve) => issuer.close(resolve)));

    it('asks for the scope and audience with the client’s id and secret, form-encoded', async () => {
      assert.equal(await clientCredentialsToken({ tokenUrl, clientId: 'smoke-client', clientSecret: 's3cr:t', scope: 'items:write', audience: 'platform-api' }), 'the-token');
      assert.equal(new URLSearchParams(requests.at(-1)?.body).toString(), 'grant_type=client_credentials&scope=items%3Awrite&audience=platform-api');
    });

    it('says what the endpoint answered when it refuses the client', async () => {
      await assert.rejects(clientCredentialsToken({ tokenUrl, clientId: 'smoke-client', clientSecret: 'wrong' }), /the token endpoint answered 401: .*invalid_client/);
    });

    it('names the variables that are not set', async () => {
      await assert.rejects(clientCredentialsToken({ tokenUrl: '', clientId: 'x', clientSecret: '' }), /set SMOKE_TOKEN_URL, SMOKE_CLIENT_SECRET: the stage's smoke client/);
    });
  });
});
