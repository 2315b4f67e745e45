// The invoker against a fake Lambda Invoke API answering as serverless-offline
// 14 does: every outcome mapped to an InvokeResult, and one concurrency cap
// per function, counted at the server.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { concurrencyOf, createInvoker, DEFAULT_CONCURRENCY } from '../lambda/lambda-invoke.mjs';

const listen = (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
const closeServer = (server) =>
  new Promise((resolve) => {
    server.close(resolve);
    server.closeAllConnections();
  });

/** A port nothing listens on: taken by the OS a moment ago, then released. */
const deadPort = async () => {
  const server = http.createServer();
  const port = await listen(server);
  await closeServer(server);
  return port;
};

const json = (res, status, body, headers = {}) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};

const trace = ['Error: secret detail', '    at handler (/work/main/services/x/src/handler.js:3:9)'];

/** What the fake answers for each function name, as serverless-offline 14 would. */
const BEHAVIOURS = {
  ok: (res, event) => json(res, 200, { statusCode: 200, body: JSON.stringify({ got: event }) }),
  // serverless-offline quotes a string result itself.
  string: (res) => json(res, 200, '"hello"'),
  empty: (res) => {
    res.writeHead(200);
    res.end();
  },
  throws: (res) => json(res, 200, { errorMessage: 'secret detail', errorType: 'Error', trace }, { 'x-amz-function-error': 'Unhandled' }),
  exits: (res) =>
    json(res, 200, { errorMessage: 'Worker stopped with exit code 1', errorType: 'Error', trace: ['Error: Worker stopped with exit code 1'] }, { 'x-amz-function-error': 'Unhandled' }),
  'times-out': (res) =>
    json(res, 200, { errorMessage: '[504] - Lambda timeout.', errorType: 'Error', trace: ['Error: [504] - Lambda timeout.'] }, { 'x-amz-function-error': 'Unhandled' }),
  unknown: (res, _event, name) =>
    json(res, 404, { Message: `Function not found: ${name}`, Type: 'User' }, { 'x-amzn-errortype': 'ResourceNotFoundException' }),
  'not-json': (res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('<html>oops</html>');
  },
  'server-error': (res) => {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('Internal failure');
  },
  // Headers, part of the body, then the connection is gone.
  cut: (res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
    res.write('{"statusCode":');
    setTimeout(() => res.socket.destroy(), 20);
  },
  // Never answers: serverless-offline stuck.
  stuck: () => undefined,
  // Starts answering, then never finishes.
  stalls: (res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
    res.write('{"statusCode":');
  },
};

/** A fake Lambda Invoke API; `slow*` functions answer after `delayMs`, counting how many are in flight. */
const startFakeLambda = async ({ delayMs = 50 } = {}) => {
  const requests = [];
  const inFlight = new Map();
  const maxInFlight = new Map();
  const server = http.createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(req.url);
    if (req.method !== 'POST' || !match) return json(res, 404, { message: 'no such route' });
    const name = match[1];
    const event = JSON.parse(text);
    requests.push({ name, headers: req.headers, event });
    if (name.startsWith('slow')) {
      inFlight.set(name, (inFlight.get(name) ?? 0) + 1);
      maxInFlight.set(name, Math.max(maxInFlight.get(name) ?? 0, inFlight.get(name)));
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      inFlight.set(name, inFlight.get(name) - 1);
      return json(res, 200, { statusCode: 200, body: String(event.n) });
    }
    return (BEHAVIOURS[name] ?? BEHAVIOURS.unknown)(res, event, name);
  });
  const port = await listen(server);
  return { server, port, requests, maxInFlight, inFlight };
};

describe('createInvoker', () => {
  let lambda;
  let invoke;
  const fn = (name, extra = {}) => ({ name, lambdaPort: lambda.port, timeoutSeconds: 3, ...extra });

  before(async () => {
    lambda = await startFakeLambda();
    invoke = createInvoker({ functions: [...Object.keys(BEHAVIOURS), 'not-deployed'].map((name) => fn(name)) });
  });

  after(async () => {
    await closeServer(lambda.server);
  });

  it('posts the event to the Invoke API as a RequestResponse invocation and answers its JSON payload', async () => {
    const event = { version: '2.0', rawPath: '/items/1', body: 'ü' };
    const result = await invoke('ok', event);
    const payload = { statusCode: 200, body: JSON.stringify({ got: event }) };
    assert.deepEqual(result, { ok: true, payload, text: JSON.stringify(payload) });
    const [seen] = lambda.requests.filter((request) => request.name === 'ok');
    assert.deepEqual(seen.event, event);
    assert.equal(seen.headers['content-type'], 'application/json');
    assert.equal(seen.headers['x-amz-invocation-type'], 'RequestResponse');
  });

  it('answers a string result as its JSON, and an empty body as null', async () => {
    assert.deepEqual(await invoke('string', {}), { ok: true, payload: 'hello', text: '"hello"' });
    assert.deepEqual(await invoke('empty', {}), { ok: true, payload: null, text: 'null' });
  });

  it('answers a function error (x-amz-function-error: Unhandled) with its errorMessage', async () => {
    assert.deepEqual(await invoke('throws', {}), { ok: false, kind: 'function-error', error: 'secret detail' });
  });

  it("answers serverless-offline's Lambda timeout as kind 'timeout', in Lambda's terms rather than its [504]", async () => {
    assert.deepEqual(await invoke('times-out', {}), { ok: false, kind: 'timeout', error: 'the function ran past its timeout of 3 s' });
  });

  it("answers a worker serverless-offline saw exit as a function error: its runtime exited", async () => {
    assert.deepEqual(await invoke('exits', {}), { ok: false, kind: 'function-error', error: 'its runtime exited (exit code 1)' });
  });

  it('records each invocation with the trigger its caller named, and tells the caller when it ran', async () => {
    const hops = [];
    const runs = [];
    const recorded = createInvoker({ functions: [fn('ok')], recorder: { record: (hop) => hops.push(hop) } });
    const before = Date.now();
    await recorded('ok', { n: 1 }, { trigger: { kind: 'schedule', id: 'run-1' }, onRun: (run) => runs.push(run) });
    assert.equal(hops.length, 1);
    assert.deepEqual(hops[0].trigger, { kind: 'schedule', id: 'run-1' });
    assert.equal(runs.length, 1);
    assert.ok(runs[0].startedAt >= before && runs[0].endedAt >= runs[0].startedAt);
    assert.equal(runs[0].alone, true);
  });

  it('answers a 404 ResourceNotFound, a 500 and an answer that is not JSON as function errors', async () => {
    assert.deepEqual(await invoke('not-deployed', {}), { ok: false, kind: 'function-error', error: 'Function not found: not-deployed' });
    assert.deepEqual(await invoke('server-error', {}), { ok: false, kind: 'function-error', error: 'HTTP 500 Internal failure' });
    const notJson = await invoke('not-json', {});
    assert.equal(notJson.ok, false);
    assert.equal(notJson.kind, 'function-error');
    assert.match(notJson.error, /not JSON: <html>oops<\/html>/);
  });

  it('answers a function it does not know without calling serverless-offline', async () => {
    const before = lambda.requests.length;
    assert.deepEqual(await invoke('nowhere', {}), { ok: false, kind: 'function-error', error: 'no local function named nowhere' });
    assert.equal(lambda.requests.length, before);
    assert.equal(invoke.concurrencyOf('nowhere'), 0);
  });

  it("answers 'unreachable' when nothing listens on the Lambda port", async () => {
    const port = await deadPort();
    const unreachable = createInvoker({ functions: [{ name: 'ok', lambdaPort: port, timeoutSeconds: 3 }] });
    const result = await unreachable('ok', {});
    assert.equal(result.ok, false);
    assert.equal(result.kind, 'unreachable');
    assert.match(result.error, /^serverless-offline is not reachable: ECONNREFUSED/);
  });

  it('answers a failure, never rejects, when the connection drops in the middle of the answer', async () => {
    const result = await invoke('cut', {});
    assert.equal(result.ok, false);
    assert.equal(result.kind, 'unreachable', JSON.stringify(result));
    // The slot is free again.
    assert.deepEqual(invoke.stats().cut, { running: 0, waiting: 0 });
  });

  it("answers 'timeout' when serverless-offline does not answer, or not all of it, within the function's timeout and a grace", { timeout: 15_000 }, async () => {
    const stuck = createInvoker({ functions: [fn('stuck', { timeoutSeconds: 0.2 }), fn('stalls', { timeoutSeconds: 0.2 })] });
    const started = Date.now();
    const results = await Promise.all([stuck('stuck', {}), stuck('stalls', {})]);
    for (const result of results) {
      assert.equal(result.ok, false);
      assert.equal(result.kind, 'timeout');
      assert.match(result.error, /no answer from serverless-offline within 0\.2 s \+ grace/);
    }
    assert.ok(Date.now() - started >= 200);
    assert.deepEqual(stuck.stats(), { stuck: { running: 0, waiting: 0 }, stalls: { running: 0, waiting: 0 } });
  });
});

describe('createInvoker concurrency', () => {
  let lambda;
  before(async () => {
    lambda = await startFakeLambda({ delayMs: 60 });
  });
  after(async () => {
    await closeServer(lambda.server);
  });
  const fn = (name, extra = {}) => ({ name, lambdaPort: lambda.port, timeoutSeconds: 3, ...extra });

  it('caps each function at its own limit: never more in flight at serverless-offline at once', async () => {
    const invoke = createInvoker({ functions: [fn('slow-a'), fn('slow-b')], defaultConcurrency: 2 });
    const results = Promise.all([
      ...Array.from({ length: 8 }, (_, n) => invoke('slow-a', { n })),
      ...Array.from({ length: 3 }, (_, n) => invoke('slow-b', { n })),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(invoke.stats(), { 'slow-a': { running: 2, waiting: 6 }, 'slow-b': { running: 2, waiting: 1 } });
    const answers = await results;
    assert.deepEqual(
      answers.map((result) => result.payload.body),
      ['0', '1', '2', '3', '4', '5', '6', '7', '0', '1', '2'],
    );
    assert.equal(lambda.maxInFlight.get('slow-a'), 2);
    assert.equal(lambda.maxInFlight.get('slow-b'), 2);
    assert.deepEqual(invoke.stats(), { 'slow-a': { running: 0, waiting: 0 }, 'slow-b': { running: 0, waiting: 0 } });
  });

  it('tells whether an invocation ran alone: not when another invocation of its function ran at any moment of it', async () => {
    const invoke = createInvoker({ functions: [fn('slow-alone'), fn('slow-other')], defaultConcurrency: 2 });
    const runs = {};
    const call = (name, n) => invoke(name, { n }, { onRun: (run) => (runs[`${name} ${n}`] = run.alone) });
    await call('slow-alone', 1);
    // Two at once overlap; a third waits for a slot and runs beside the one still running.
    await Promise.all([call('slow-alone', 2), call('slow-alone', 3), call('slow-other', 1)]);
    assert.deepEqual(runs, { 'slow-alone 1': true, 'slow-alone 2': false, 'slow-alone 3': false, 'slow-other 1': true });
  });

  it('lets a reserved concurrency lower than the default win, never a higher one', async () => {
    assert.equal(concurrencyOf({ name: 'f' }, 4), 4);
    assert.equal(concurrencyOf({ name: 'f', reservedConcurrency: 1 }, 4), 1);
    assert.equal(concurrencyOf({ name: 'f', reservedConcurrency: 10 }, 4), 4);
    assert.equal(concurrencyOf({ name: 'f', reservedConcurrency: 0 }, 4), 0);

    const invoke = createInvoker({ functions: [fn('slow-reserved', { reservedConcurrency: 1 }), fn('slow-generous', { reservedConcurrency: 50 }), fn('slow-default')] });
    assert.equal(invoke.concurrencyOf('slow-reserved'), 1);
    assert.equal(invoke.concurrencyOf('slow-generous'), DEFAULT_CONCURRENCY);
    assert.equal(invoke.concurrencyOf('slow-default'), DEFAULT_CONCURRENCY);
    const results = await Promise.all(Array.from({ length: 4 }, (_, n) => invoke('slow-reserved', { n })));
    assert.ok(results.every((result) => result.ok));
    assert.equal(lambda.maxInFlight.get('slow-reserved'), 1);
  });

  it("throttles every invocation of a function whose reserved concurrency is 0, calling nothing", async () => {
    const invoke = createInvoker({ functions: [fn('slow-off', { reservedConcurrency: 0 })] });
    const result = await invoke('slow-off', { n: 1 });
    assert.deepEqual(result, { ok: false, kind: 'throttled', error: 'slow-off is throttled: its reserved concurrency is 0' });
    assert.ok(!lambda.requests.some((request) => request.name === 'slow-off'));
  });

  it("throttles what finds the function's queue full", async () => {
    const invoke = createInvoker({ functions: [fn('slow-queued')], defaultConcurrency: 1, queueLimit: 1 });
    const [first, second, third] = await Promise.all([1, 2, 3].map((n) => invoke('slow-queued', { n })));
    assert.equal(first.ok, true);
    assert.equal(second.ok, true);
    assert.deepEqual(third, { ok: false, kind: 'throttled', error: 'slow-queued is throttled: 1 invocations running and 1 waiting' });
    assert.equal(lambda.requests.filter((request) => request.name === 'slow-queued').length, 2);
  });

  it('rejects with the reason of a signal that aborts while waiting for a slot, and never calls the function', async () => {
    const invoke = createInvoker({ functions: [fn('slow-waiting')], defaultConcurrency: 1 });
    const first = invoke('slow-waiting', { n: 1 });
    const controller = new AbortController();
    const waiting = invoke('slow-waiting', { n: 2 }, { signal: controller.signal });
    const reason = new Error('the client left');
    controller.abort(reason);
    await assert.rejects(waiting, (error) => error === reason);
    assert.equal((await first).ok, true);
    assert.deepEqual(
      lambda.requests.filter((request) => request.name === 'slow-waiting').map((request) => request.event.n),
      [1],
    );
  });

  it('runs an invocation that has started to its end, whatever its signal does', async () => {
    const invoke = createInvoker({ functions: [fn('slow-started')] });
    const controller = new AbortController();
    const running = invoke('slow-started', { n: 7 }, { signal: controller.signal });
    while (!lambda.requests.some((request) => request.name === 'slow-started')) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    const result = await running;
    assert.equal(result.ok, true);
    assert.equal(result.payload.body, '7');
  });
});
