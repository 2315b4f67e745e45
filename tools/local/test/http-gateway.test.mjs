// The local HTTP gateway against real upstream servers standing in for
// serverless-offline, so routing, relaying and failures are checked over
// real sockets.
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createRouter, notFoundBody, routesFromTemplate, startHttpGateway } from '../lib/http-gateway.mjs';

const listen = (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
const closeServer = (server) => new Promise((resolve) => server.close(resolve));

/** An upstream that answers with what it received, as JSON; a few paths misbehave on purpose. */
const startUpstream = async (name, hooks = {}) => {
  const server = http.createServer(async (req, res) => {
    if (hooks[req.url.split('?')[0]]) return hooks[req.url.split('?')[0]](req, res);
    let body = '';
    for await (const chunk of req) body += chunk;
    res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
    res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json', 'x-upstream': name });
    res.end(JSON.stringify({ name, method: req.method, url: req.url, headers: req.headers, body }));
  });
  return { server, port: await listen(server) };
};

/** A port nothing listens on: taken by the OS a moment ago, then released. */
const deadPort = async () => {
  const server = http.createServer();
  const port = await listen(server);
  await closeServer(server);
  return port;
};

const route = (service, method, path) => ({ service, method, path });

describe('routesFromTemplate', () => {
  it('lists the HTTP API routes of a compiled template, without $default and other resources', () => {
    const template = {
      Resources: {
        HttpApi: { Type: 'AWS::ApiGatewayV2::Api', Properties: { Name: 'local-items-api' } },
        CreateRoute: { Type: 'AWS::ApiGatewayV2::Route', Properties: { ApiId: { Ref: 'HttpApi' }, RouteKey: 'POST /items' } },
        GetRoute: { Type: 'AWS::ApiGatewayV2::Route', Properties: { RouteKey: 'get /items/{id}' } },
        FilesRoute: { Type: 'AWS::ApiGatewayV2::Route', Properties: { RouteKey: 'ANY /files/{proxy+}' } },
        DefaultRoute: { Type: 'AWS::ApiGatewayV2::Route', Properties: { RouteKey: '$default' } },
        ItemsTable: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'items' } },
      },
    };
    assert.deepEqual(routesFromTemplate(template, 'items-api'), [
      route('items-api', 'POST', '/items'),
      route('items-api', 'GET', '/items/{id}'),
      route('items-api', 'ANY', '/files/{proxy+}'),
    ]);
  });

  it('gives no routes for a template without any', () => {
    assert.deepEqual(routesFromTemplate({ Resources: { Queue: { Type: 'AWS::SQS::Queue' } } }, 'worker'), []);
    assert.deepEqual(routesFromTemplate({}, 'worker'), []);
  });
});

describe('createRouter', () => {
  const routes = [
    route('a', 'GET', '/items/{id}'),
    route('a', 'ANY', '/items/{proxy+}'),
    route('a', 'GET', '/items'),
    route('b', 'GET', '/items/special'),
    route('a', 'POST', '/items'),
    route('b', 'ANY', '/files/{key}'),
    route('b', 'DELETE', '/files/{key}'),
  ];
  const router = createRouter(routes);
  const matched = (method, path) => router.match(method, path)?.route;

  it('prefers literal segments, then {params}, then a greedy {name+}, whatever the declaration order', () => {
    assert.equal(matched('GET', '/items'), routes[2]);
    assert.equal(matched('GET', '/items/special'), routes[3]);
    assert.deepEqual(router.match('GET', '/items/42'), { route: routes[0], params: { id: '42' } });
    assert.deepEqual(router.match('GET', '/items/42/parts/7'), { route: routes[1], params: { proxy: '42/parts/7' } });
  });

  it('matches ANY for every method, after an explicit method on the same path', () => {
    assert.equal(matched('PUT', '/items/42'), routes[1]);
    assert.equal(matched('PATCH', '/files/report.pdf'), routes[5]);
    assert.equal(matched('DELETE', '/files/report.pdf'), routes[6]);
  });

  it('reports the allowed methods when only the method does not match', () => {
    assert.deepEqual(router.match('DELETE', '/items'), { allowedMethods: ['GET', 'POST'] });
    assert.equal(router.match('GET', '/nothing'), undefined);
  });

  it('does not let a {param} or greedy segment match nothing', () => {
    const strict = createRouter([route('a', 'GET', '/users/{id}'), route('a', 'GET', '/files/{proxy+}')]);
    assert.equal(strict.match('GET', '/users/'), undefined);
    assert.equal(strict.match('GET', '/files'), undefined);
    assert.equal(strict.match('GET', '/files/'), undefined);
  });

  it('URL-decodes path params', () => {
    assert.deepEqual(router.match('GET', '/items/a%20b%2Fc').params, { id: 'a b/c' });
    assert.deepEqual(router.match('GET', '/items/%E2%9C%93/x%3Fy').params, { proxy: '✓/x?y' });
  });

  it('throws on a route two services declare, naming both', () => {
    assert.throws(
      () => createRouter([route('items-api', 'GET', '/items/{id}'), route('orders-api', 'GET', '/items/{itemId}')]),
      (error) => error.message.includes('items-api') && error.message.includes('orders-api') && error.message.includes('GET /items/{}'),
    );
  });

  it('throws on a greedy segment that is not the last one', () => {
    assert.throws(() => createRouter([route('a', 'GET', '/files/{proxy+}/meta')]), /must be the last path segment/);
  });
});

describe('startHttpGateway', () => {
  const lines = [];
  let items;
  let users;
  let gateway;
  let base;
  // Requests to /items/slow, which the upstream never answers.
  const slow = new EventEmitter();

  before(async () => {
    items = await startUpstream('items-api', {
      '/items/slow': (req) => slow.emit('request', req),
      '/items/drop': (req) => req.socket.destroy(),
      '/items/cut': (req, res) => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial');
        setTimeout(() => res.socket.destroy(), 20);
      },
    });
    users = await startUpstream('users-api');
    const routes = [
      route('items-api', 'POST', '/items'),
      route('items-api', 'GET', '/items/{id}'),
      route('users-api', 'GET', '/users/{id}'),
      route('users-api', 'ANY', '/users/{id}/files/{proxy+}'),
    ];
    gateway = await startHttpGateway({
      port: 0,
      routes,
      upstreams: new Map([
        ['items-api', items.port],
        ['users-api', users.port],
      ]),
      log: (line) => lines.push(line),
    });
    base = `http://127.0.0.1:${gateway.port}`;
  });

  after(async () => {
    await gateway.close();
    await Promise.all([closeServer(items.server), closeServer(users.server)]);
  });

  it('forwards method, path, query, body and headers, and returns status and headers', async () => {
    const response = await fetch(`${base}/items?tag=a&tag=b%20c`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'r-1', 'x-forwarded-for': '203.0.113.9' },
      body: JSON.stringify({ name: 'pen' }),
    });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('x-upstream'), 'items-api');
    assert.deepEqual(response.headers.getSetCookie(), ['a=1; Path=/', 'b=2; Path=/']);
    const seen = await response.json();
    assert.equal(seen.name, 'items-api');
    assert.equal(seen.method, 'POST');
    assert.equal(seen.url, '/items?tag=a&tag=b%20c');
    assert.deepEqual(JSON.parse(seen.body), { name: 'pen' });
    assert.equal(seen.headers['content-type'], 'application/json');
    assert.equal(seen.headers['x-request-id'], 'r-1');
    assert.equal(seen.headers.host, `127.0.0.1:${items.port}`);
    assert.match(seen.headers['x-forwarded-for'], /^203\.0\.113\.9, (::ffff:)?127\.0\.0\.1$/);
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.equal(seen.headers['x-forwarded-host'], `127.0.0.1:${gateway.port}`);
    assert.ok(lines.some((line) => /^POST \/items → items-api 201 \(\d+ ms\)$/.test(line)), lines.join('\n'));
  });

  it('sends each service its own routes', async () => {
    const user = await (await fetch(`${base}/users/7`)).json();
    assert.deepEqual([user.name, user.url], ['users-api', '/users/7']);
    const file = await (await fetch(`${base}/users/7/files/a/b.txt`, { method: 'PUT', body: 'x' })).json();
    assert.deepEqual([file.name, file.method, file.url, file.body], ['users-api', 'PUT', '/users/7/files/a/b.txt', 'x']);
    const item = await (await fetch(`${base}/items/9`)).json();
    assert.deepEqual([item.name, item.url], ['items-api', '/items/9']);
  });

  it('forwards a CORS preflight to the service that routes the path', async () => {
    const response = await fetch(`${base}/items/9`, { method: 'OPTIONS', headers: { 'access-control-request-method': 'GET' } });
    const seen = await response.json();
    assert.deepEqual([seen.name, seen.method], ['items-api', 'OPTIONS']);
  });

  it('answers an unknown route, or a known path with another method, with a 404 JSON error', async () => {
    for (const [method, path] of [
      ['GET', '/nowhere'],
      ['DELETE', '/items/9'],
    ]) {
      const response = await fetch(`${base}${path}?q=1`, { method });
      assert.equal(response.status, 404);
      assert.equal(response.headers.get('content-type'), 'application/json');
      assert.deepEqual(await response.json(), { error: { code: 'NOT_FOUND', message: `No route for ${method} ${path}` } });
      assert.deepEqual(notFoundBody(method, path), { error: { code: 'NOT_FOUND', message: `No route for ${method} ${path}` } });
    }
    assert.ok(lines.some((line) => /^GET \/nowhere → no route 404 \(\d+ ms\)$/.test(line)), lines.join('\n'));
  });

  it('never echoes more than 200 characters of the path', async () => {
    const path = `/${'x'.repeat(5000)}`;
    const { error } = await (await fetch(`${base}${path}`)).json();
    assert.ok(error.message.startsWith(`No route for GET ${path.slice(0, 200)}`));
    assert.ok(!error.message.includes(path.slice(0, 201)));
    assert.ok(lines.every((line) => !line.includes(path.slice(0, 201))));
  });

  it('answers 502 without internals when the upstream is down or drops the connection', async () => {
    const down = await startHttpGateway({
      port: 0,
      routes: [route('orders-api', 'GET', '/orders')],
      upstreams: { 'orders-api': await deadPort() },
      log: () => undefined,
    });
    try {
      for (const url of [`http://127.0.0.1:${down.port}/orders`, `${base}/items/drop`]) {
        const response = await fetch(url);
        assert.equal(response.status, 502);
        assert.equal(response.headers.get('content-type'), 'application/json');
        const text = await response.text();
        const service = url.endsWith('/orders') ? 'orders-api' : 'items-api';
        assert.deepEqual(JSON.parse(text), { error: { code: 'BAD_GATEWAY', message: `The ${service} service is not reachable` } });
        assert.doesNotMatch(text, /ECONN|socket|Error|\s+at\s/);
      }
    } finally {
      await down.close();
    }
  });

  it('cuts the client connection when the upstream drops mid-response', async () => {
    const response = await fetch(`${base}/items/cut`);
    assert.equal(response.status, 200);
    await assert.rejects(response.text());
    assert.equal((await fetch(`${base}/items/9`)).status, 200);
  });

  it('survives a client that gives up mid-request, and aborts the upstream call', { timeout: 2000 }, async () => {
    const controller = new AbortController();
    const arrived = once(slow, 'request');
    const pending = fetch(`${base}/items/slow`, { signal: controller.signal });
    const [upstreamRequest] = await arrived;
    const upstreamClosed = once(upstreamRequest.socket, 'close');
    controller.abort();
    await assert.rejects(pending, { name: 'AbortError' });
    await upstreamClosed;
    assert.equal((await fetch(`${base}/items/9`)).status, 200);
    assert.ok(lines.some((line) => /^GET \/items\/slow → items-api client closed \(\d+ ms\)$/.test(line)), lines.join('\n'));
  });

  it('refuses to start with routes for a service that has no upstream', async () => {
    await assert.rejects(startHttpGateway({ port: 0, routes: [route('a', 'GET', '/a')], upstreams: {} }), /No upstream port for a/);
  });

  it('closes at once despite idle keep-alive, never-used and in-flight connections', { timeout: 2000 }, async () => {
    const own = await startHttpGateway({
      port: 0,
      routes: [route('items-api', 'GET', '/items/{id}')],
      upstreams: { 'items-api': items.port },
      log: () => undefined,
    });
    const agent = new http.Agent({ keepAlive: true });
    const status = await new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: own.port, path: '/items/1', agent }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode));
      }).on('error', reject);
    });
    assert.equal(status, 200);
    assert.equal(Object.values(agent.freeSockets).flat().length, 1);
    const unused = net.connect(own.port, '127.0.0.1');
    unused.on('error', () => undefined);
    await once(unused, 'connect');
    const arrived = once(slow, 'request');
    const inFlight = fetch(`http://127.0.0.1:${own.port}/items/slow`);
    await arrived;

    const started = Date.now();
    const closed = own.close();
    // The upstream call is cut short: its client gets an answer rather than a hang.
    assert.equal((await inFlight).status, 502);
    await closed;
    assert.ok(Date.now() - started < 1000, `close() took ${Date.now() - started} ms`);
    if (!unused.closed) await once(unused, 'close');
    await assert.rejects(fetch(`http://127.0.0.1:${own.port}/items/1`));
    agent.destroy();
  });
});
