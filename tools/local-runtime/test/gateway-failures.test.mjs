// The gateway, the invoker and a real serverless-offline, against functions
// that fail in every way a Lambda function can (fixtures/faulty-service):
// a client must get what an HTTP API gives in AWS, never a 2xx, a stack
// trace or a file path; the next request must be served normally; and a
// burst must run on a few warm workers instead of one cold start each.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startHttpGateway } from '../gateway/http-gateway.mjs';
import { createInvoker } from '../lambda/lambda-invoke.mjs';
import { offlineDebugLines, withoutColours } from '../lambda/offline.mjs';
import { freePort, startChild, stopAll, waitForPort } from '../stack/processes.mjs';
import { SERVERLESS_BIN } from '../stack/services.mjs';

const SERVICE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/faulty-service');
const FUNCTIONS = ['ok', 'throws', 'timesOut', 'hangsWhenAsked', 'malformed', 'crashes', 'exits', 'inferred', 'quotes'];
const CONCURRENCY = 2;
const INTERNAL_SERVER_ERROR = { message: 'Internal Server Error' };

describe('a local function that fails, behind the gateway', { timeout: 120_000 }, () => {
  const lines = [];
  let gateway;
  let base;
  let offline;

  before(async () => {
    const [lambdaPort, httpPort] = [await freePort(), await freePort()];
    offline = startChild('faulty', process.execPath, [SERVERLESS_BIN, 'offline', 'start', '--lambdaPort', String(lambdaPort), '--httpPort', String(httpPort)], {
      cwd: SERVICE_DIR,
      quiet: true,
    });
    await waitForPort(lambdaPort, offline, 'faulty');
    const invoke = createInvoker({
      functions: FUNCTIONS.map((name) => ({ name: `faulty-local-${name}`, lambdaPort, timeoutSeconds: 3 })),
      defaultConcurrency: CONCURRENCY,
    });
    const routes = FUNCTIONS.map((name) => ({
      service: 'faulty',
      method: 'GET',
      path: `/${name}`,
      routeKey: `GET /${name}`,
      functionName: `faulty-local-${name}`,
      timeoutMs: 30_000,
    }));
    gateway = await startHttpGateway({ port: 0, routes, invoke, log: (line) => lines.push(line) });
    base = `http://127.0.0.1:${gateway.port}`;
  });

  after(async () => {
    await gateway?.close();
    await stopAll();
  });

  const get = async (name, query = '') => {
    const response = await fetch(`${base}/${name}${query}`);
    return { status: response.status, text: await response.text(), requestId: response.headers.get('apigw-requestid') };
  };

  it('answers a burst of 100 concurrent requests on a cold function with 100 × 200, on at most its cap of workers', async () => {
    const answers = await Promise.all(Array.from({ length: 100 }, () => get('ok')));
    assert.deepEqual(
      answers.map(({ status }) => status),
      Array(100).fill(200),
    );
    // Each worker counts its own invocations from 1: how many saw a 1 is how many cold starts there were.
    const coldStarts = answers.filter(({ text }) => JSON.parse(text).invocations === 1).length;
    assert.ok(coldStarts >= 1 && coldStarts <= CONCURRENCY, `${coldStarts} cold starts for 100 requests`);
  });

  for (const [name, cause] of [
    ['throws', /failed \(secret detail from /],
    ['timesOut', /timed out \(the function ran past its timeout of 3 s\)/],
    ['malformed', /answered a malformed response \(statusCode "teapot" is not an HTTP status\)/],
    ['crashes', /failed \(uncaught in /],
    ['exits', /crashed \(its runtime exited \(exit code 1\)\)/],
  ]) {
    it(`answers a function that ${name} with 500 {"message":"Internal Server Error"} and logs the cause in one line, then serves the next request`, async () => {
      const failed = await get(name);
      assert.equal(failed.status, 500);
      assert.deepEqual(JSON.parse(failed.text), INTERNAL_SERVER_ERROR);
      assert.doesNotMatch(failed.text, /handler\.js|\/work\/|\bat\s|Error:/);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const logged = lines.filter((line) => line.includes(failed.requestId));
      assert.equal(logged.length, 1, lines.join('\n'));
      assert.ok(logged[0].startsWith(`GET /${name} → faulty 500 (`), logged[0]);
      assert.ok(logged[0].includes(`${failed.requestId}: faulty-local-${name} `), logged[0]);
      assert.match(logged[0], cause);
      assert.ok(logged[0].endsWith(', so the client got 500 {"message":"Internal Server Error"}'), logged[0]);

      assert.equal((await get('ok')).status, 200);
    });
  }

  it("takes serverless-offline's trace of each failed invocation for debug detail, and nothing else it printed", () => {
    // As printed (coloured under FORCE_COLOR, as Nx runs tests), classified; then read without the colours.
    const isDebug = offlineDebugLines();
    const classified = offline
      .recentOutput()
      .split('\n')
      .map((line) => [withoutColours(line), isDebug(line)]);
    const debug = classified.filter(([, yes]) => yes).map(([line]) => line);
    const shown = classified.filter(([, yes]) => !yes).map(([line]) => line);
    // The blocks of the failures above: each opens, and closes with the invocation's error.
    for (const name of ['throws', 'timesOut', 'crashes', 'exits']) {
      assert.ok(debug.includes(`× Unhandled exception in handler '${name}'.`), debug.join('\n'));
      assert.ok(debug.some((line) => line.startsWith(`× Unhandled Lambda Error during invoke of 'faulty-local-${name}'`)), debug.join('\n'));
    }
    assert.ok(debug.some((line) => line.trim() === 'workerDied: true }'));
    assert.ok(debug.some((line) => /^\s+at /.test(line)));
    // What is left is what serverless-offline says otherwise (its start-up), never a trace.
    assert.ok(shown.every((line) => !/^\s+at |workerDied|Unhandled/.test(line)), shown.join('\n'));
  });

  it('serves a function again after it timed out, however often (serverless-offline #1896)', async () => {
    for (let round = 0; round < 3; round += 1) {
      const timedOut = await get('hangsWhenAsked', '?hang');
      assert.equal(timedOut.status, 500);
      assert.deepEqual(JSON.parse(timedOut.text), INTERNAL_SERVER_ERROR);
      const served = await Promise.all(Array.from({ length: CONCURRENCY + 1 }, () => get('hangsWhenAsked')));
      assert.deepEqual(
        served.map(({ status, text }) => `${status} ${text}`),
        Array(CONCURRENCY + 1).fill('200 served'),
      );
    }
  });

  it('passes a JSON answer without statusCode on as a 200 application/json response, as HTTP APIs infer it', async () => {
    const response = await fetch(`${base}/inferred`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.deepEqual(await response.json(), { hello: 'world' });
  });

  it('passes a string answer with quotes on as its JSON text (serverless-offline patched to encode it)', async () => {
    const response = await fetch(`${base}/quotes`);
    assert.equal(response.status, 200);
    assert.equal(await response.json(), 'say "hi"');
  });
});
