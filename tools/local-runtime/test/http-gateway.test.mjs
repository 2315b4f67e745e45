// The local HTTP gateway: routes read from compiled templates, API Gateway's
// precedence rules, and what it does for one request (the payload 2.0 event,
// the AWS answers for every failure, CORS, limits), driven by a fake invoke
// over real sockets.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createRouter, MAX_REQUEST_BYTES, notFoundBody, routesFromTemplate, startHttpGateway } from '../gateway/http-gateway.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const INTERNAL_SERVER_ERROR = '{"message":"Internal Server Error"}';

const route = (service, method, path) => ({ service, method, path });

/** A compiled template's pieces, as `serverless package` writes them. */
const cfn = {
  api: (cors) => ({
    Type: 'AWS::ApiGatewayV2::Api',
    Properties: { Name: 'local-items-api', ProtocolType: 'HTTP', ...(cors && { CorsConfiguration: cors }) },
  }),
  fn: (name) => ({ Type: 'AWS::Lambda::Function', Properties: { FunctionName: name, Handler: 'src/handler.handler', Timeout: 6 } }),
  integration: (functionId, properties = {}) => ({
    Type: 'AWS::ApiGatewayV2::Integration',
    Properties: {
      ApiId: { Ref: 'HttpApi' },
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: { 'Fn::GetAtt': [functionId, 'Arn'] },
      PayloadFormatVersion: '2.0',
      TimeoutInMillis: 30000,
      ...properties,
    },
  }),
  route: (routeKey, integrationId, apiId = 'HttpApi') => ({
    Type: 'AWS::ApiGatewayV2::Route',
    Properties: { ApiId: { Ref: apiId }, RouteKey: routeKey, Target: { 'Fn::Join': ['/', ['integrations', { Ref: integrationId }]] } },
    DependsOn: integrationId,
  }),
};

const CORS = { AllowHeaders: ['content-type', 'authorization'], AllowMethods: ['GET', 'POST'], AllowOrigins: ['*'], MaxAge: 3600 };

/** One API with one GET /items/{id} route, whose parts `overrides` replace. */
const oneRouteTemplate = (overrides = {}) => ({
  Resources: {
    HttpApi: cfn.api(),
    GetItemLambdaFunction: cfn.fn('items-api-local-getItem'),
    HttpApiIntegrationGetItem: cfn.integration('GetItemLambdaFunction'),
    HttpApiRouteGetItemsIdVar: cfn.route('GET /items/{id}', 'HttpApiIntegrationGetItem'),
    ...overrides,
  },
});

describe('routesFromTemplate', () => {
  it('lists each route with the function its Lambda proxy integration invokes, without $default and other resources', () => {
    const template = {
      Resources: {
        HttpApi: cfn.api(),
        CreateItemLambdaFunction: cfn.fn('items-api-local-createItem'),
        GetItemLambdaFunction: cfn.fn('items-api-local-getItem'),
        FilesLambdaFunction: cfn.fn('items-api-local-files'),
        FallbackLambdaFunction: cfn.fn('items-api-local-fallback'),
        HttpApiIntegrationCreateItem: cfn.integration('CreateItemLambdaFunction'),
        HttpApiIntegrationGetItem: cfn.integration('GetItemLambdaFunction', { IntegrationUri: { 'Fn::GetAtt': 'GetItemLambdaFunction.Arn' } }),
        HttpApiIntegrationFiles: cfn.integration('FilesLambdaFunction'),
        // $default is left out even when its integration is one the gateway could not invoke.
        HttpApiIntegrationFallback: cfn.integration('FallbackLambdaFunction', { IntegrationType: 'HTTP_PROXY' }),
        HttpApiRoutePostItems: cfn.route('POST /items', 'HttpApiIntegrationCreateItem'),
        HttpApiRouteGetItemsIdVar: cfn.route('get /items/{id}', 'HttpApiIntegrationGetItem'),
        HttpApiRouteAnyFilesProxyVar: {
          Type: 'AWS::ApiGatewayV2::Route',
          Properties: { ApiId: { Ref: 'HttpApi' }, RouteKey: 'ANY /files/{proxy+}', Target: 'integrations/HttpApiIntegrationFiles' },
        },
        HttpApiRouteDefault: cfn.route('$default', 'HttpApiIntegrationFallback'),
        ItemsTable: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'items' } },
      },
    };
    const common = { service: 'items-api', timeoutMs: 30_000, cors: undefined };
    assert.deepEqual(routesFromTemplate(template, 'items-api'), [
      { ...common, method: 'POST', path: '/items', routeKey: 'POST /items', functionName: 'items-api-local-createItem' },
      { ...common, method: 'GET', path: '/items/{id}', routeKey: 'GET /items/{id}', functionName: 'items-api-local-getItem' },
      { ...common, method: 'ANY', path: '/files/{proxy+}', routeKey: 'ANY /files/{proxy+}', functionName: 'items-api-local-files' },
    ]);
  });

  it('gives no routes for a template without any', () => {
    assert.deepEqual(routesFromTemplate({ Resources: { Queue: { Type: 'AWS::SQS::Queue' } } }, 'worker'), []);
    assert.deepEqual(routesFromTemplate({}, 'worker'), []);
  });

  it("takes the CORS configuration of the route's API", () => {
    const [withCors] = routesFromTemplate(oneRouteTemplate({ HttpApi: cfn.api(CORS) }), 'items-api');
    assert.deepEqual(withCors.cors, CORS);
    const [without] = routesFromTemplate(oneRouteTemplate(), 'items-api');
    assert.equal(without.cors, undefined);
  });

  it("takes timeoutMs from the integration's TimeoutInMillis, 30 s when unset and never more", () => {
    const timeoutOf = (properties) =>
      routesFromTemplate(oneRouteTemplate({ HttpApiIntegrationGetItem: cfn.integration('GetItemLambdaFunction', properties) }), 'items-api')[0]
        .timeoutMs;
    assert.equal(timeoutOf({ TimeoutInMillis: 5000 }), 5000);
    assert.equal(timeoutOf({ TimeoutInMillis: 60_000 }), 30_000);
    assert.equal(timeoutOf({ TimeoutInMillis: undefined }), 30_000);
  });

  it('throws, naming the service and route, on an integration that is not a Lambda proxy', () => {
    for (const properties of [{ IntegrationType: 'HTTP_PROXY' }, { IntegrationType: 'AWS' }]) {
      const template = oneRouteTemplate({ HttpApiIntegrationGetItem: cfn.integration('GetItemLambdaFunction', properties) });
      assert.throws(() => routesFromTemplate(template, 'items-api'), {
        message: 'items-api: HttpApiRouteGetItemsIdVar has no Lambda proxy integration the local gateway can invoke',
      });
    }
    const noTarget = oneRouteTemplate({
      HttpApiRouteGetItemsIdVar: { Type: 'AWS::ApiGatewayV2::Route', Properties: { ApiId: { Ref: 'HttpApi' }, RouteKey: 'GET /items/{id}' } },
    });
    assert.throws(() => routesFromTemplate(noTarget, 'items-api'), /items-api: HttpApiRouteGetItemsIdVar has no Lambda proxy integration/);
  });

  it('throws on an integration with payload format 1.0', () => {
    const template = oneRouteTemplate({ HttpApiIntegrationGetItem: cfn.integration('GetItemLambdaFunction', { PayloadFormatVersion: '1.0' }) });
    assert.throws(() => routesFromTemplate(template, 'items-api'), {
      message: 'items-api: HttpApiRouteGetItemsIdVar: the local gateway speaks payload format 2.0 only, got 1.0',
    });
  });

  it('throws on an integration that does not point at a function of the template', () => {
    for (const uri of [{ 'Fn::GetAtt': ['Missing', 'Arn'] }, { 'Fn::GetAtt': ['HttpApi', 'Arn'] }, 'arn:aws:lambda:us-east-1:1:function:x']) {
      const template = oneRouteTemplate({ HttpApiIntegrationGetItem: cfn.integration('GetItemLambdaFunction', { IntegrationUri: uri }) });
      assert.throws(() => routesFromTemplate(template, 'items-api'), /items-api: HttpApiRouteGetItemsIdVar: its integration does not name a function/);
    }
  });

  it('throws on a RouteKey it cannot route', () => {
    const template = oneRouteTemplate({ HttpApiRouteGetItemsIdVar: cfn.route('GET items', 'HttpApiIntegrationGetItem') });
    assert.throws(() => routesFromTemplate(template, 'items-api'), /items-api: HttpApiRouteGetItemsIdVar has a RouteKey the local gateway cannot route: "GET items"/);
  });

  // The services' own templates, when `npm start` has compiled them on this machine.
  const services = path.join(ROOT, 'services');
  const compiled = (existsSync(services) ? readdirSync(services) : []).flatMap((service) => {
    const dir = path.join(services, service, '.serverless-local');
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .map((inputs) => path.join(dir, inputs, 'cloudformation-template-update-stack.json'))
      .filter((file) => existsSync(file))
      .map((file) => ({ service, file }));
  });
  it('reads the routes of the compiled service templates', { skip: compiled.length === 0 && 'no compiled template' }, () => {
    let routes = 0;
    for (const { service, file } of compiled) {
      let template;
      try {
        template = JSON.parse(readFileSync(file, 'utf8'));
      } catch (error) {
        if (error.code === 'ENOENT') continue; // pruned by a start meanwhile
        throw error;
      }
      for (const found of routesFromTemplate(template, service)) {
        routes += 1;
        assert.equal(found.routeKey, `${found.method} ${found.path}`);
        assert.ok(found.functionName.startsWith(`${service}-local-`), found.functionName);
        assert.ok(found.timeoutMs > 0 && found.timeoutMs <= 30_000);
      }
    }
    assert.ok(routes > 0);
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

// ---------------------------------------------------------------------------
// startHttpGateway, with a fake invoke standing in for the invoker.

const structured = (payload) => ({ ok: true, payload, text: JSON.stringify(payload) });
const SECRET = 'Error: secret detail at /work/main/services/items-api/src/handler.js:12:7';

/**
 * invoke(functionName, event, { signal }) answering per function name from
 * `answers` (a result, or a function of the event and options giving one);
 * `calls` records every invocation, with its signal.
 */
const createFakeInvoke = (answers) => {
  const calls = [];
  const invoke = (functionName, event, options) => {
    calls.push({ functionName, event, signal: options?.signal });
    const answer = answers[functionName];
    if (answer === undefined) return Promise.resolve({ ok: false, kind: 'function-error', error: `no fake for ${functionName}` });
    return Promise.resolve(typeof answer === 'function' ? answer(event, options) : answer);
  };
  invoke.calls = calls;
  invoke.callsOf = (functionName) => calls.filter((call) => call.functionName === functionName);
  return invoke;
};

const WEB_CORS = {
  AllowOrigins: ['https://app.example', 'https://admin.example'],
  AllowMethods: ['GET', 'POST'],
  AllowHeaders: ['content-type', 'authorization'],
  ExposeHeaders: ['x-total', 'x-page'],
  MaxAge: 600,
  AllowCredentials: true,
};

const gatewayRoute = (service, method, path, functionName, extra = {}) => ({
  service,
  method,
  path,
  routeKey: `${method} ${path}`,
  functionName,
  timeoutMs: 30_000,
  ...extra,
});

const FAILURES = {
  throws: { ok: false, kind: 'function-error', error: SECRET },
  'times-out': { ok: false, kind: 'timeout', error: `[504] - Lambda timeout. ${SECRET}` },
  unreachable: { ok: false, kind: 'unreachable', error: `serverless-offline is not reachable: ECONNREFUSED ${SECRET}` },
  malformed: structured({ statusCode: 'teapot', body: { not: 'a string' }, detail: SECRET }),
  'string-status': structured({ statusCode: '200', body: SECRET }),
};

const ANSWERS = {
  'items-get': (event) =>
    structured({
      statusCode: 200,
      headers: { 'Content-Type': 'application/json', 'X-Function': 'items-get' },
      cookies: ['a=1; Path=/', 'b=2; Path=/; HttpOnly'],
      body: JSON.stringify({ id: event.pathParameters.id }),
    }),
  'items-create': structured({ statusCode: 201, headers: { 'content-type': 'application/json' }, body: '{"created":true}' }),
  'items-put': structured({ statusCode: 204 }),
  inferred: { ok: true, payload: { hello: 'world' }, text: '{"hello":"world"}' },
  binary: structured({ statusCode: 200, headers: { 'content-type': 'image/png' }, body: Buffer.from([0, 1, 2, 255]).toString('base64'), isBase64Encoded: true }),
  ...FAILURES,
  throttled: { ok: false, kind: 'throttled', error: 'items-api-local-throttled is throttled: 4 invocations running and 1000 waiting' },
  never: () => new Promise(() => undefined),
  // Ran 1.5 s after the gateway took the request: it waited for a free instance.
  queued: (event, { onRun }) => {
    const startedAt = event.requestContext.timeEpoch + 1_500;
    onRun({ startedAt, endedAt: startedAt + 20, alone: true });
    return structured({ statusCode: 200, body: 'ok' });
  },
  // Answers only once the gateway gave up on it, as an invocation that runs to its end does.
  hang: (_event, { signal }) =>
    new Promise((resolve) => {
      signal.addEventListener('abort', () => setTimeout(() => resolve(structured({ statusCode: 200, body: 'too late' })), 10), { once: true });
    }),
  rejects: () => Promise.reject(new Error(`the invoker broke: ${SECRET}`)),
  'bad-header': structured({ statusCode: 200, headers: { 'x-leaked': 'yes', 'x-bad': 'a\nb' }, body: 'x'.repeat(100) }),
  'bad-cookie': structured({ statusCode: 200, cookies: ['a=1\r\nx-injected: 1'], body: 'x'.repeat(100) }),
  web: structured({
    statusCode: 200,
    headers: { 'content-type': 'text/plain', 'Access-Control-Allow-Origin': '*', 'access-control-allow-methods': 'PUT', 'x-total': '3' },
    body: 'web',
  }),
  'hop-by-hop': structured({ statusCode: 200, headers: { 'transfer-encoding': 'chunked', connection: 'upgrade' }, body: 'hello' }),
  plain: structured({ statusCode: 200, headers: { 'content-type': 'text/plain', 'access-control-allow-origin': 'https://own.example' }, body: 'plain' }),
};

const ROUTES = [
  gatewayRoute('items-api', 'GET', '/items/{id}', 'items-get'),
  gatewayRoute('items-api', 'POST', '/items', 'items-create'),
  gatewayRoute('items-api', 'PUT', '/items/{id}', 'items-put'),
  gatewayRoute('items-api', 'ANY', '/files/{proxy+}', 'items-put'),
  gatewayRoute('items-api', 'GET', '/inferred', 'inferred'),
  gatewayRoute('items-api', 'GET', '/binary', 'binary'),
  ...Object.keys(FAILURES).map((name) => gatewayRoute('items-api', 'GET', `/${name}`, name)),
  gatewayRoute('items-api', 'GET', '/throttled', 'throttled'),
  gatewayRoute('items-api', 'GET', '/slow', 'never', { timeoutMs: 100 }),
  gatewayRoute('items-api', 'GET', '/hang', 'hang'),
  gatewayRoute('items-api', 'GET', '/never', 'never'),
  gatewayRoute('items-api', 'GET', '/queued', 'queued'),
  gatewayRoute('items-api', 'GET', '/rejects', 'rejects'),
  gatewayRoute('items-api', 'GET', '/bad-header', 'bad-header'),
  gatewayRoute('items-api', 'GET', '/bad-cookie', 'bad-cookie'),
  gatewayRoute('items-api', 'GET', '/plain', 'plain'),
  gatewayRoute('items-api', 'GET', '/hop-by-hop', 'hop-by-hop'),
  gatewayRoute('web-api', 'GET', '/web/{id}', 'web', { cors: WEB_CORS }),
  gatewayRoute('web-api', 'POST', '/web', 'web', { cors: WEB_CORS }),
  gatewayRoute('web-api', 'GET', '/web-fails', 'throws', { cors: WEB_CORS }),
];

const dechunk = (raw) => {
  const parts = [];
  for (let offset = 0; ; ) {
    const lineEnd = raw.indexOf('\r\n', offset);
    const size = parseInt(raw.subarray(offset, lineEnd).toString(), 16);
    if (!size) return Buffer.concat(parts);
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
};

/**
 * One request over a raw socket, so that repeated headers reach the gateway
 * exactly as written; `Connection: close` ends the exchange.
 */
const rawRequest = (port, lines, body = Buffer.alloc(0)) =>
  new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const raw = Buffer.concat(chunks);
      const split = raw.indexOf('\r\n\r\n');
      const [statusLine, ...headerLines] = raw.subarray(0, split).toString('latin1').split('\r\n');
      const headers = headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]);
      const chunked = headers.some(([name, value]) => name === 'transfer-encoding' && value === 'chunked');
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: chunked ? dechunk(raw.subarray(split + 4)) : raw.subarray(split + 4) });
    });
    socket.write(`${[...lines, 'Connection: close'].join('\r\n')}\r\n\r\n`);
    socket.write(body);
  });

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

const waitFor = async (condition, timeoutMs = 2000) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('startHttpGateway', () => {
  const lines = [];
  let invoke;
  let gateway;
  let base;

  before(async () => {
    invoke = createFakeInvoke(ANSWERS);
    gateway = await startHttpGateway({ port: 0, routes: ROUTES, invoke, log: (line) => lines.push(line) });
    base = `http://127.0.0.1:${gateway.port}`;
  });

  after(async () => {
    await gateway.close();
  });

  /** The request's one log line, once written: `METHOD /path → target OUTCOME (N ms) REQUESTID[: why]`. */
  const accessLine = (requestId) => waitFor(() => lines.find((line) => line.includes(' → ') && (line.endsWith(` ${requestId}`) || line.includes(` ${requestId}: `))));
  /** Lines other than the request's one line that name it: there are none. */
  const logged = (requestId) => lines.filter((line) => line.includes(requestId) && !line.includes(' → '));

  describe('the payload 2.0 event the function gets', () => {
    it('carries the path, query, headers, cookies, path parameters, body and request context', async () => {
      const body = Buffer.from(JSON.stringify({ name: 'pen', note: 'ü' }));
      const before = Date.now();
      const response = await rawRequest(
        gateway.port,
        [
          'PUT /items/a%20b%2Fc?tag=a&tag=b%20c&flag&empty=&plus=1+2&tag=d HTTP/1.1',
          'Host: api.example.test',
          'User-Agent: test-agent/1.0',
          'X-Multi: one',
          'x-multi: two',
          'Cookie: session=abc; theme=dark',
          'Cookie: lang=en',
          'Content-Type: application/json; charset=utf-8',
          `Content-Length: ${body.length}`,
        ],
        body,
      );
      assert.equal(response.status, 204);
      const requestId = Object.fromEntries(response.headers)['apigw-requestid'];
      assert.match(requestId, /^[A-Za-z0-9+/]{15}=$/);

      const [{ event, signal }] = invoke.calls.filter((call) => call.event.requestContext.requestId === requestId);
      assert.ok(signal instanceof AbortSignal);
      const { requestContext, headers, ...rest } = event;
      assert.deepEqual(rest, {
        version: '2.0',
        routeKey: 'PUT /items/{id}',
        rawPath: '/items/a%20b%2Fc',
        rawQueryString: 'tag=a&tag=b%20c&flag&empty=&plus=1+2&tag=d',
        cookies: ['session=abc', 'theme=dark', 'lang=en'],
        queryStringParameters: { tag: 'a,b c,d', flag: '', empty: '', plus: '1 2' },
        pathParameters: { id: 'a b/c' },
        body: body.toString('utf8'),
        isBase64Encoded: false,
      });
      // (`connection: close` is the raw client's own; whether it should reach the function is not the point here.)
      const forwarded = { ...headers };
      delete forwarded.connection;
      assert.deepEqual(forwarded, {
        host: 'api.example.test',
        'user-agent': 'test-agent/1.0',
        'x-multi': 'one,two',
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(body.length),
      });
      const { time, timeEpoch, ...context } = requestContext;
      assert.deepEqual(context, {
        accountId: '000000000000',
        apiId: 'local-items-api',
        domainName: 'api.example.test',
        domainPrefix: 'api',
        http: { method: 'PUT', path: '/items/a%20b%2Fc', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test-agent/1.0' },
        requestId,
        routeKey: 'PUT /items/{id}',
        stage: '$default',
      });
      assert.ok(timeEpoch >= before && timeEpoch <= Date.now(), `timeEpoch ${timeEpoch}`);
      assert.match(time, /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    });

    it('passes a body of another content type base64-encoded, and no body key when there is none', async () => {
      const bytes = Buffer.from([0, 255, 1, 128, 10]);
      const upload = await fetch(`${base}/files/a/b.bin`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
      const uploadId = upload.headers.get('apigw-requestid');
      assert.equal(upload.status, 204);
      const [uploaded] = invoke.calls.filter((call) => call.event.requestContext.requestId === uploadId);
      assert.equal(uploaded.event.isBase64Encoded, true);
      assert.deepEqual(Buffer.from(uploaded.event.body, 'base64'), bytes);
      assert.deepEqual(uploaded.event.pathParameters, { proxy: 'a/b.bin' });
      assert.equal(uploaded.event.routeKey, 'ANY /files/{proxy+}');
      assert.equal(uploaded.event.requestContext.http.method, 'POST');

      const plain = await fetch(`${base}/inferred`);
      const plainId = plain.headers.get('apigw-requestid');
      await plain.arrayBuffer();
      const [{ event }] = invoke.calls.filter((call) => call.event.requestContext.requestId === plainId);
      assert.equal(event.isBase64Encoded, false);
      for (const key of ['body', 'cookies', 'queryStringParameters', 'pathParameters']) assert.ok(!(key in event), `${key} in ${JSON.stringify(event)}`);
      assert.equal(event.rawQueryString, '');
    });
  });

  describe('answers', () => {
    it("relays a function's structured response: status, headers, cookies as set-cookie, body", async () => {
      const response = await fetch(`${base}/items/42`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'application/json');
      assert.equal(response.headers.get('x-function'), 'items-get');
      assert.deepEqual(response.headers.getSetCookie(), ['a=1; Path=/', 'b=2; Path=/; HttpOnly']);
      assert.deepEqual(await response.json(), { id: '42' });
    });

    it('keeps the answer valid HTTP when a function sets hop-by-hop headers such as transfer-encoding', async () => {
      const response = await fetch(`${base}/hop-by-hop`, { signal: AbortSignal.timeout(2000) });
      assert.equal(response.status, 200);
      assert.equal(await response.text(), 'hello');
    });

    it('decodes a base64-encoded response body', async () => {
      const response = await fetch(`${base}/binary`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'image/png');
      assert.deepEqual(Buffer.from(await response.arrayBuffer()), Buffer.from([0, 1, 2, 255]));
    });

    it('passes a JSON answer without statusCode on as a 200 application/json response', async () => {
      const response = await fetch(`${base}/inferred`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'application/json');
      assert.equal(await response.text(), '{"hello":"world"}');
    });

    it('logs one line per request: METHOD /path → service STATUS (N ms) REQUESTID', async () => {
      const response = await fetch(`${base}/items?x=1`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      assert.equal(response.status, 201);
      const requestId = response.headers.get('apigw-requestid');
      const line = await accessLine(requestId);
      assert.match(line, new RegExp(`^POST /items → items-api 201 \\(\\d+ ms\\) ${escapeRegExp(requestId)}$`));
    });

    it('says in that line how long the request waited for a free instance of its function, when it did', async () => {
      const response = await fetch(`${base}/queued`);
      assert.equal(response.status, 200);
      const requestId = response.headers.get('apigw-requestid');
      assert.match(await accessLine(requestId), new RegExp(`^GET /queued → items-api 200 \\(\\d+ ms, 1[45]\\d\\d ms of it queued for a free instance\\) ${escapeRegExp(requestId)}$`));
    });

    it('answers an unknown route, or a known path with another method, with a 404 JSON error', async () => {
      for (const [method, path] of [
        ['GET', '/nowhere'],
        ['DELETE', '/items/9'],
      ]) {
        const response = await fetch(`${base}${path}?q=1`, { method });
        assert.equal(response.status, 404);
        assert.equal(response.headers.get('content-type'), 'application/json');
        const expected = { error: { code: 'NOT_FOUND', message: `No route for ${method} ${path}` } };
        assert.deepEqual(await response.json(), expected);
        assert.deepEqual(notFoundBody(method, path), expected);
        const requestId = response.headers.get('apigw-requestid');
        assert.ok(requestId);
        assert.match(await accessLine(requestId), new RegExp(`^${method} ${escapeRegExp(path)} → no route 404 \\(\\d+ ms\\) `));
      }
      assert.ok(!invoke.calls.some((call) => call.event.rawPath === '/nowhere'));
    });

    it('never echoes more than 200 characters of the path, nor logs them', async () => {
      const path = `/${'x'.repeat(5000)}`;
      const response = await fetch(`${base}${path}`);
      const { error } = await response.json();
      assert.equal(error.message, `No route for GET ${path.slice(0, 200)}…`);
      const line = await accessLine(response.headers.get('apigw-requestid'));
      assert.ok(!line.includes(path.slice(0, 201)));
    });

    it('answers a request whose target is not a path with a 404', async () => {
      const response = await rawRequest(gateway.port, ['GET http://elsewhere.example/items/1 HTTP/1.1', 'Host: elsewhere.example']);
      assert.equal(response.status, 404);
      assert.equal(JSON.parse(response.body).error.code, 'NOT_FOUND');
    });
  });

  describe('failures', () => {
    for (const name of Object.keys(FAILURES)) {
      it(`answers ${name} with exactly 500 {"message":"Internal Server Error"} and logs the cause with the request id, in one line`, async () => {
        const response = await fetch(`${base}/${name}`);
        assert.equal(response.status, 500);
        assert.equal(response.headers.get('content-type'), 'application/json');
        const text = await response.text();
        assert.equal(text, INTERNAL_SERVER_ERROR);
        const requestId = response.headers.get('apigw-requestid');
        const line = await accessLine(requestId);
        const [head, cause] = [line.slice(0, line.indexOf(`${requestId}: `)), line.slice(line.indexOf(`${requestId}: `) + requestId.length + 2)];
        assert.match(head, new RegExp(`^GET /${name} → items-api 500 \\(\\d+ ms\\) $`));
        const verb = { malformed: 'answered a malformed response', 'string-status': 'answered a malformed response', 'times-out': 'timed out', unreachable: 'could not be invoked', throws: 'failed' }[name];
        assert.ok(cause.startsWith(`${name} ${verb} (`), line);
        assert.ok(cause.endsWith(`), so the client got 500 ${INTERNAL_SERVER_ERROR}`), line);
        if (name === 'malformed') assert.match(cause, /\(statusCode "teapot" is not an HTTP status\)/);
        else if (name === 'string-status') assert.match(cause, /\(statusCode "200" is not an HTTP status\)/);
        else assert.ok(cause.includes(SECRET), cause);
        assert.deepEqual(logged(requestId), []);
      });
    }

    it('answers a throttled invocation with 429 TOO_MANY_REQUESTS and retry-after', async () => {
      const response = await fetch(`${base}/throttled`);
      assert.equal(response.status, 429);
      assert.equal(response.headers.get('retry-after'), '1');
      const { error } = await response.json();
      assert.equal(error.code, 'TOO_MANY_REQUESTS');
      assert.equal(typeof error.message, 'string');
      assert.ok(!error.message.includes('1000 waiting'));
      const requestId = response.headers.get('apigw-requestid');
      assert.match(await accessLine(requestId), new RegExp(`^GET /throttled → items-api 429 \\(\\d+ ms\\) ${escapeRegExp(requestId)}: ${escapeRegExp(ANSWERS.throttled.error)}: not run$`));
      assert.deepEqual(logged(requestId), []);
    });

    it("answers 503 {\"message\":\"Service Unavailable\"} once the route's integration timeout passes, the invocation still pending", async () => {
      const started = Date.now();
      const response = await fetch(`${base}/slow`);
      const elapsed = Date.now() - started;
      assert.equal(response.status, 503);
      assert.equal(await response.text(), '{"message":"Service Unavailable"}');
      assert.ok(elapsed >= 90 && elapsed < 2000, `answered after ${elapsed} ms`);
      const requestId = response.headers.get('apigw-requestid');
      const [call] = invoke.calls.filter((entry) => entry.event.requestContext.requestId === requestId);
      assert.equal(call.signal.aborted, true);
      assert.equal(call.signal.reason.name, 'TimeoutError');
      assert.match(
        await accessLine(requestId),
        new RegExp(`^GET /slow → items-api 503 \\(\\d+ ms\\) ${escapeRegExp(requestId)}: never gave no answer within the integration timeout of 100 ms, so the client got 503 \\{"message":"Service Unavailable"\\}$`),
      );
      assert.deepEqual(logged(requestId), []);
    });

    it('answers 500 when invoke itself rejects, rather than leaving the client waiting', async () => {
      const response = await fetch(`${base}/rejects`, { signal: AbortSignal.timeout(2000) });
      assert.equal(response.status, 500);
      assert.equal(await response.text(), INTERNAL_SERVER_ERROR);
      const requestId = response.headers.get('apigw-requestid');
      assert.ok((await accessLine(requestId)).endsWith(`${requestId}: rejects failed (invoke failed: the invoker broke: ${SECRET}), so the client got 500 ${INTERNAL_SERVER_ERROR}`));
    });

    it('answers a keep-alive client the 500 of an unsendable response, then serves it again on the same connection', async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const get = (path) =>
        new Promise((resolve, reject) => {
          const request = http.get({ host: '127.0.0.1', port: gateway.port, path, agent }, (response) => {
            let text = '';
            response.setEncoding('utf8');
            response.on('data', (chunk) => (text += chunk));
            response.on('end', () => resolve({ status: response.statusCode, text }));
          });
          request.on('error', reject);
          request.setTimeout(2000, () => request.destroy(new Error('no complete answer in 2 s')));
        });
      try {
        assert.deepEqual(await get('/bad-cookie'), { status: 500, text: INTERNAL_SERVER_ERROR });
        assert.deepEqual(await get('/items/5'), { status: 200, text: '{"id":"5"}' });
      } finally {
        agent.destroy();
      }
    });

    for (const name of ['bad-header', 'bad-cookie']) {
      it(`answers a response with a header Node cannot send (${name}) with exactly the 500 answer, nothing of the function's`, async () => {
        const response = await rawRequest(gateway.port, [`GET /${name} HTTP/1.1`, 'Host: localhost']);
        assert.equal(response.status, 500);
        assert.equal(response.body.toString(), INTERNAL_SERVER_ERROR);
        const names = response.headers.map(([header]) => header);
        assert.ok(!names.includes('x-leaked') && !names.includes('x-injected'), JSON.stringify(response.headers));
        const contentLength = response.headers.find(([header]) => header === 'content-length')?.[1];
        assert.ok(contentLength === undefined || Number(contentLength) === INTERNAL_SERVER_ERROR.length, `content-length ${contentLength}`);
        const requestId = Object.fromEntries(response.headers)['apigw-requestid'];
        assert.match(await accessLine(requestId), new RegExp(`${escapeRegExp(requestId)}: ${name} answered a malformed response \\(.+\\), so the client got 500 ${escapeRegExp(INTERNAL_SERVER_ERROR)}$`));
      });
    }
  });

  describe('request bodies', () => {
    it('answers 413 to a content-length over MAX_REQUEST_BYTES without reading the body or invoking', async () => {
      const calls = invoke.calls.length;
      const response = await rawRequest(
        gateway.port,
        ['PUT /items/big HTTP/1.1', 'Host: localhost', 'Content-Type: application/json', `Content-Length: ${MAX_REQUEST_BYTES + 1}`],
        Buffer.from('{"a":'),
      );
      assert.equal(response.status, 413);
      assert.equal(response.body.toString(), '{"message":"Request Entity Too Large"}');
      assert.equal(Object.fromEntries(response.headers).connection, 'close');
      assert.equal(invoke.calls.length, calls);
    });

    it('answers 413 to a chunked body that grows over MAX_REQUEST_BYTES, without invoking', async () => {
      const calls = invoke.calls.length;
      const status = await new Promise((resolve, reject) => {
        let answered;
        const request = http.request(`${base}/items/big`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' } }, (response) => {
          answered = response.statusCode;
          response.resume();
          response.on('end', () => resolve(answered));
        });
        // Once answered, the gateway closes the connection under the upload.
        request.on('error', (error) => (answered ? resolve(answered) : reject(error)));
        const chunk = Buffer.alloc(256 * 1024, 7);
        let sent = 0;
        const pump = () => {
          while (answered === undefined && sent <= MAX_REQUEST_BYTES + chunk.length) {
            sent += chunk.length;
            if (!request.write(chunk)) return void request.once('drain', pump);
          }
          request.end();
        };
        pump();
      });
      assert.equal(status, 413);
      assert.equal(invoke.calls.length, calls);
    });

    it('passes on a body of exactly MAX_REQUEST_BYTES', async () => {
      const response = await fetch(`${base}/items/big`, {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream' },
        body: Buffer.alloc(MAX_REQUEST_BYTES, 1),
      });
      assert.equal(response.status, 204);
      const [{ event }] = invoke.calls.filter((call) => call.event.requestContext.requestId === response.headers.get('apigw-requestid'));
      assert.equal(Buffer.from(event.body, 'base64').length, MAX_REQUEST_BYTES);
    });
  });

  describe('CORS', () => {
    it("answers a preflight for a route whose API configures CORS itself, with the configured headers, invoking nothing", async () => {
      const calls = invoke.calls.length;
      const response = await fetch(`${base}/web/1`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'Content-Type, X-Other' },
      });
      assert.equal(response.status, 204);
      assert.equal(response.headers.get('access-control-allow-origin'), 'https://app.example');
      assert.equal(response.headers.get('access-control-allow-methods'), 'GET,POST');
      assert.equal(response.headers.get('access-control-allow-headers'), 'content-type');
      assert.equal(response.headers.get('access-control-max-age'), '600');
      assert.equal(response.headers.get('access-control-allow-credentials'), 'true');
      assert.equal(await response.text(), '');
      assert.equal(invoke.calls.length, calls);
      assert.match(await accessLine(response.headers.get('apigw-requestid')), /^OPTIONS \/web\/1 → web-api \(CORS preflight\) 204 \(\d+ ms\) /);
    });

    it('answers a preflight for a method the path does not route, and one from a disallowed origin, without CORS headers', async () => {
      // POST /web/1 is not a route, but /web/1 is a path of an API with CORS: API Gateway still answers the preflight.
      const otherMethod = await fetch(`${base}/web/1`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } });
      assert.equal(otherMethod.status, 204);
      assert.equal(otherMethod.headers.get('access-control-allow-origin'), 'https://app.example');
      const stranger = await fetch(`${base}/web/1`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
      assert.equal(stranger.status, 204);
      assert.equal([...stranger.headers.keys()].filter((name) => name.startsWith('access-control-')).length, 0);
    });

    it("replaces the integration's access-control-* headers with the configured ones", async () => {
      const response = await fetch(`${base}/web/1`, { headers: { origin: 'https://admin.example' } });
      assert.equal(response.status, 200);
      assert.equal(await response.text(), 'web');
      assert.equal(response.headers.get('access-control-allow-origin'), 'https://admin.example');
      assert.equal(response.headers.get('access-control-allow-methods'), null);
      assert.equal(response.headers.get('access-control-expose-headers'), 'x-total,x-page');
      assert.equal(response.headers.get('access-control-allow-credentials'), 'true');
      assert.equal(response.headers.get('x-total'), '3');

      const noOrigin = await fetch(`${base}/web/1`);
      assert.equal([...noOrigin.headers.keys()].filter((name) => name.startsWith('access-control-')).length, 0);
    });

    it('adds no CORS headers, and answers no preflight, for a route whose API has no CORS configuration', async () => {
      const preflight = await fetch(`${base}/items/1`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' } });
      assert.equal(preflight.status, 404);
      assert.equal(preflight.headers.get('access-control-allow-origin'), null);
      const response = await fetch(`${base}/items/1`, { headers: { origin: 'https://app.example' } });
      assert.equal(response.status, 200);
      assert.equal([...response.headers.keys()].filter((name) => name.startsWith('access-control-')).length, 0);
      // Nor does it touch the function's own.
      const own = await fetch(`${base}/plain`, { headers: { origin: 'https://app.example' } });
      assert.equal(own.headers.get('access-control-allow-origin'), 'https://own.example');
    });

    it('puts the configured CORS headers on the 500 of a failed invocation too', async () => {
      const failed = await fetch(`${base}/web-fails`, { headers: { origin: 'https://app.example' } });
      assert.equal(failed.status, 500);
      assert.equal(await failed.text(), INTERNAL_SERVER_ERROR);
      assert.equal(failed.headers.get('access-control-allow-origin'), 'https://app.example');
    });
  });

  describe('clients that leave', () => {
    it('logs a client that aborts mid-invoke as "client closed", aborts the signal, and keeps serving', async () => {
      const controller = new AbortController();
      const calls = invoke.callsOf('hang').length;
      const request = fetch(`${base}/hang`, { signal: controller.signal });
      const call = await waitFor(() => invoke.callsOf('hang')[calls]);
      controller.abort();
      await assert.rejects(request, { name: 'AbortError' });
      const requestId = call.event.requestContext.requestId;
      assert.match(await accessLine(requestId), /^GET \/hang → items-api client closed \(\d+ ms\) /);
      await waitFor(() => call.signal.aborted);
      assert.notEqual(call.signal.reason?.name, 'TimeoutError');
      // The invocation answers after the client left: nothing is written, nothing breaks.
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(lines.filter((line) => line.endsWith(` ${requestId}`)).length, 1);
      assert.equal((await fetch(`${base}/items/9`)).status, 200);
    });

    it('keeps serving after a client that leaves mid-upload', async () => {
      const socket = net.connect(gateway.port, '127.0.0.1');
      await once(socket, 'connect');
      socket.write('PUT /items/1 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\npartial');
      await new Promise((resolve) => setTimeout(resolve, 20));
      socket.destroy();
      await waitFor(() => lines.some((line) => line.startsWith('PUT /items/1 → items-api client closed')));
      assert.equal((await fetch(`${base}/items/9`)).status, 200);
    });
  });
});

describe('the one line of a request whose function failed', () => {
  // The invoker tells when the invocation ran and whether alone; the IAM layer's write log what it wrote.
  const ran = { startedAt: 1_000, endedAt: 7_000, alone: true };
  const invoke = async (functionName, _event, { onRun } = {}) => {
    if (functionName === 'busy') return { ok: false, kind: 'throttled', error: 'busy is throttled: 4 invocations running and 1000 waiting' };
    onRun?.(ran);
    if (functionName === 'fine') return structured({ statusCode: 201, body: '{}' });
    if (functionName === 'crashes') return { ok: false, kind: 'function-error', error: 'its runtime exited (exit code 1)' };
    return { ok: false, kind: 'timeout', error: 'the function ran past its timeout of 6 s' };
  };
  const write = (operation, targets, status = 200) => ({ operation, targets, status });
  const asked = [];
  const WRITES = {
    slow: { known: true, wrote: [write('TransactWriteItems', ['svc-local-things'])], refused: [], pending: [], ambiguous: [] },
    crashes: { known: true, wrote: [], refused: [], pending: [], ambiguous: [] },
    shared: { known: true, wrote: [], refused: [], pending: [], ambiguous: [write('PutItem', ['svc-local-things'])] },
  };
  const writesOf = async (invocation) => {
    asked.push(invocation);
    return WRITES[invocation.functionName] ?? { known: false, reason: 'LOCAL_IAM=off: the functions reach the emulators directly, unseen' };
  };
  const lines = [];
  let gateway;
  before(async () => {
    const routes = ['slow', 'crashes', 'shared', 'unseen', 'fine', 'busy'].map((name) => gatewayRoute('svc', 'POST', `/${name}`, name));
    gateway = await startHttpGateway({ port: 0, routes, invoke, writesOf, failureHint: 'trace: LOCAL_LOG_LEVEL=debug', log: (line) => lines.push(line) });
  });
  after(() => gateway.close());

  const post = async (name) => {
    const response = await fetch(`http://127.0.0.1:${gateway.port}/${name}`, { method: 'POST', body: '{}' });
    await response.text();
    const requestId = response.headers.get('apigw-requestid');
    return { status: response.status, requestId, line: await waitFor(() => lines.find((line) => line.includes(requestId))) };
  };

  it('says, for a timeout, the request id, what the client got and what the function wrote, all in one line', async () => {
    const { status, requestId, line } = await post('slow');
    assert.equal(status, 500);
    assert.match(line, /^POST \/slow → svc 500 \(\d+ ms\) /);
    assert.ok(
      line.endsWith(
        `${requestId}: slow timed out (the function ran past its timeout of 6 s), so the client got 500 ${INTERNAL_SERVER_ERROR}; wrote: TransactWriteItems on svc-local-things (trace: LOCAL_LOG_LEVEL=debug)`,
      ),
      line,
    );
    assert.equal(lines.filter((one) => one.includes(requestId)).length, 1);
    assert.deepEqual(asked.at(-1), { functionName: 'slow', marker: requestId, ...ran });
  });

  it('says a crash, and that it wrote nothing', async () => {
    const { requestId, line } = await post('crashes');
    assert.ok(line.endsWith(`${requestId}: crashes crashed (its runtime exited (exit code 1)), so the client got 500 ${INTERNAL_SERVER_ERROR}; wrote nothing (trace: LOCAL_LOG_LEVEL=debug)`), line);
  });

  it('says "unknown" when the local layer cannot tell', async () => {
    assert.match((await post('shared')).line, /; writes unknown \(1 write\(s\) by this function while other invocations of it ran, none carrying this request's id\) \(trace/);
    assert.match((await post('unseen')).line, /; writes unknown \(LOCAL_IAM=off: the functions reach the emulators directly, unseen\) \(trace/);
  });

  it('asks nothing of a request that succeeded, or of a function that never ran', async () => {
    const before = asked.length;
    const fine = await post('fine');
    assert.match(fine.line, new RegExp(`^POST /fine → svc 201 \\(\\d+ ms\\) ${escapeRegExp(fine.requestId)}$`));
    const busy = await post('busy');
    assert.equal(busy.status, 429);
    assert.ok(busy.line.endsWith(`${busy.requestId}: busy is throttled: 4 invocations running and 1000 waiting: not run`), busy.line);
    assert.equal(asked.length, before);
  });
});

describe('closing the gateway', () => {
  it('closes at once despite idle keep-alive, never-used and in-flight connections', { timeout: 5000 }, async () => {
    const invoke = createFakeInvoke(ANSWERS);
    const own = await startHttpGateway({ port: 0, routes: ROUTES, invoke, log: () => undefined });
    const agent = new http.Agent({ keepAlive: true });
    const status = await new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: own.port, path: '/items/1', agent }, (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode));
        })
        .on('error', reject);
    });
    assert.equal(status, 200);
    assert.equal(Object.values(agent.freeSockets).flat().length, 1);
    const unused = net.connect(own.port, '127.0.0.1');
    unused.on('error', () => undefined);
    await once(unused, 'connect');
    const inFlight = fetch(`http://127.0.0.1:${own.port}/never`);
    inFlight.catch(() => undefined);
    await waitFor(() => invoke.callsOf('never').length === 1);

    const started = Date.now();
    await own.close();
    assert.ok(Date.now() - started < 1000, `close() took ${Date.now() - started} ms`);
    await assert.rejects(inFlight);
    if (!unused.closed) await once(unused, 'close');
    await assert.rejects(fetch(`http://127.0.0.1:${own.port}/items/1`));
    // A second close is the same close.
    await own.close();
    agent.destroy();
  });
});

describe('requests Node’s HTTP parser refuses', () => {
  it('still get an answer in the API’s error shape, a request id and a log line: 400 for a malformed request line, 431 for 16 KiB of headers', async () => {
    const log = [];
    const gateway = await startHttpGateway({ port: 0, routes: [], invoke: async () => ({}), log: (line) => log.push(line) });
    const raw = (bytes) =>
      new Promise((resolve, reject) => {
        const socket = net.connect(gateway.port, '127.0.0.1', () => socket.end(bytes));
        let text = '';
        socket.on('data', (chunk) => (text += chunk));
        socket.on('error', reject);
        socket.on('close', () => resolve(text));
      });
    try {
      const badLine = await raw(Buffer.concat([Buffer.from('GET /items/caf'), Buffer.from([0xe9]), Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n')]));
      assert.match(badLine, /^HTTP\/1\.1 400 Bad Request\r\n/);
      assert.match(badLine, /\r\napigw-requestid: \S+=\r\n/);
      assert.deepEqual(JSON.parse(badLine.split('\r\n\r\n')[1]), { error: { code: 'BAD_REQUEST', message: 'The request is not valid HTTP' } });
      const bigHeaders = await raw(`GET /items HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      assert.match(bigHeaders, /^HTTP\/1\.1 431 /);
      assert.equal(JSON.parse(bigHeaders.split('\r\n\r\n')[1]).error.code, 'BAD_REQUEST');
      assert.equal(log.filter((line) => line.startsWith('(unparsable request) → ')).length, 2);
    } finally {
      await gateway.close();
    }
  });
});
