// What the local gateway builds and answers as API Gateway does for an HTTP
// API with Lambda proxy integrations (payload 2.0): the event, the mapping of
// an invocation's result to a response, and CORS.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPreflight, preflightHeaders, withCorsHeaders } from '../gateway/cors.mjs';
import { clfTime, newRequestId, toHttpApiEvent } from '../gateway/http-api-event.mjs';
import { INTERNAL_SERVER_ERROR, MAX_RESPONSE_BYTES, REQUEST_TOO_LARGE, SERVICE_UNAVAILABLE, toHttpResponse } from '../gateway/http-api-response.mjs';

const RECEIVED_AT = Date.UTC(2026, 10, 27, 8, 52, 13, 456);

/** A request as the gateway hands it to toHttpApiEvent; `overrides` replace its parts. */
const request = (overrides = {}) => ({
  method: 'GET',
  url: '/items/42',
  rawHeaders: ['Host', 'api.example.test', 'User-Agent', 'curl/8.5.0'],
  sourceIp: '203.0.113.9',
  route: { routeKey: 'GET /items/{id}', service: 'items-api' },
  params: { id: '42' },
  requestId: 'Yp4lKhOtIAMEVXg=',
  receivedAt: RECEIVED_AT,
  ...overrides,
});

describe('clfTime', () => {
  it('formats an instant as Common Log Format in UTC', () => {
    assert.equal(clfTime(RECEIVED_AT), '27/Nov/2026:08:52:13 +0000');
    assert.equal(clfTime(Date.UTC(2026, 0, 5, 3, 4, 5, 999)), '05/Jan/2026:03:04:05 +0000');
    assert.equal(clfTime(Date.UTC(2025, 11, 31, 23, 59, 59)), '31/Dec/2025:23:59:59 +0000');
  });
});

describe('newRequestId', () => {
  it("gives a new id shaped like API Gateway's on every call", () => {
    const ids = Array.from({ length: 1000 }, newRequestId);
    for (const id of ids) assert.match(id, /^[A-Za-z0-9+/]{15}=$/);
    assert.equal(new Set(ids).size, ids.length);
  });
});

describe('toHttpApiEvent', () => {
  it('builds the whole payload 2.0 event of a simple GET', () => {
    assert.deepEqual(toHttpApiEvent(request()), {
      version: '2.0',
      routeKey: 'GET /items/{id}',
      rawPath: '/items/42',
      rawQueryString: '',
      headers: { host: 'api.example.test', 'user-agent': 'curl/8.5.0' },
      requestContext: {
        accountId: '000000000000',
        apiId: 'local-items-api',
        domainName: 'api.example.test',
        domainPrefix: 'api',
        http: { method: 'GET', path: '/items/42', protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'curl/8.5.0' },
        requestId: 'Yp4lKhOtIAMEVXg=',
        routeKey: 'GET /items/{id}',
        stage: '$default',
        time: '27/Nov/2026:08:52:13 +0000',
        timeEpoch: RECEIVED_AT,
      },
      pathParameters: { id: '42' },
      isBase64Encoded: false,
    });
  });

  it('leaves out cookies, queryStringParameters, pathParameters and body when there are none', () => {
    const event = toHttpApiEvent(request({ params: {}, url: '/items', body: Buffer.alloc(0) }));
    for (const key of ['cookies', 'queryStringParameters', 'pathParameters', 'body']) assert.ok(!(key in event), key);
    assert.equal(event.isBase64Encoded, false);
  });

  it('fills in what a bare request lacks: host, user agent, source ip', () => {
    const event = toHttpApiEvent(request({ rawHeaders: [], sourceIp: undefined }));
    assert.deepEqual(event.headers, {});
    assert.equal(event.requestContext.domainName, 'localhost');
    assert.equal(event.requestContext.domainPrefix, 'localhost');
    assert.equal(event.requestContext.http.sourceIp, '127.0.0.1');
    assert.equal(event.requestContext.http.userAgent, '');
  });

  it('keeps the raw query string, and decodes its parameters with repeated ones comma-joined', () => {
    const cases = [
      ['tag=a&tag=b%20c&tag=d', { tag: 'a,b c,d' }],
      ['flag&empty=&x=1', { flag: '', empty: '', x: '1' }],
      ['q=a+b%2Bc&%E2%9C%93=%E2%9C%93', { q: 'a b+c', '✓': '✓' }],
      ['a=b=c', { a: 'b=c' }],
      ['bad=%ZZ&%E2=1', { bad: '%ZZ', '%E2': '1' }],
      ['&&x=1&', { x: '1' }],
      ['constructor=1&__proto__=2&constructor=3', { constructor: '1,3', ['__proto__']: '2' }],
    ];
    for (const [query, expected] of cases) {
      const event = toHttpApiEvent(request({ url: `/items/42?${query}` }));
      assert.equal(event.rawPath, '/items/42');
      assert.equal(event.rawQueryString, query);
      assert.deepEqual({ ...event.queryStringParameters }, expected, query);
    }
    for (const query of ['', '&', '&&']) {
      const event = toHttpApiEvent(request({ url: `/items/42?${query}` }));
      assert.equal(event.rawQueryString, query);
      assert.ok(!('queryStringParameters' in event), query);
    }
  });

  it('lowercases header names, comma-joins repeated headers and takes cookies apart', () => {
    const event = toHttpApiEvent(
      request({
        rawHeaders: ['Host', 'h', 'X-Multi', 'one', 'x-MULTI', 'two', 'Cookie', 'a=1; b=2;', 'cookie', ' c=3 ', 'Accept', 'text/html, */*'],
      }),
    );
    assert.deepEqual(event.headers, { host: 'h', 'x-multi': 'one,two', accept: 'text/html, */*' });
    assert.deepEqual(event.cookies, ['a=1', 'b=2', 'c=3']);
  });

  it('keeps headers named like Object.prototype members as sent', () => {
    const event = toHttpApiEvent(request({ rawHeaders: ['Constructor', 'x', '__proto__', 'y', 'constructor', 'z'] }));
    assert.deepEqual({ ...event.headers }, { constructor: 'x,z', ['__proto__']: 'y' });
  });

  it('passes the path as sent and the path parameters decoded', () => {
    const event = toHttpApiEvent(request({ url: '/items/a%20b%2Fc', params: { id: 'a b/c' } }));
    assert.equal(event.rawPath, '/items/a%20b%2Fc');
    assert.equal(event.requestContext.http.path, '/items/a%20b%2Fc');
    assert.deepEqual(event.pathParameters, { id: 'a b/c' });
  });

  it('passes a body of a text type as text and any other body base64-encoded', () => {
    const text = Buffer.from('{"note":"ü"}');
    const asText = [
      'application/json',
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'application/vnd.api+json',
      'application/problem+json',
      'application/xml',
      'application/atom+xml',
      'application/javascript',
      'application/x-www-form-urlencoded',
      'text/plain',
      'text/csv; charset=utf-8',
    ];
    for (const type of asText) {
      const event = toHttpApiEvent(request({ method: 'POST', body: text, rawHeaders: ['Content-Type', type] }));
      assert.equal(event.body, '{"note":"ü"}', type);
      assert.equal(event.isBase64Encoded, false, type);
    }
    const bytes = Buffer.from([0, 255, 10, 13, 128]);
    for (const type of ['application/octet-stream', 'image/png', 'multipart/form-data; boundary=x', 'application/jsonl', 'application/pdf', undefined]) {
      const event = toHttpApiEvent(request({ method: 'POST', body: bytes, rawHeaders: type ? ['Content-Type', type] : [] }));
      assert.equal(event.body, bytes.toString('base64'), type);
      assert.equal(event.isBase64Encoded, true, type);
    }
  });
});

// ---------------------------------------------------------------------------

const INTERNAL = { statusCode: 500, headers: { 'content-type': 'application/json' }, cookies: [], body: Buffer.from('{"message":"Internal Server Error"}') };
const ok = (payload) => ({ ok: true, payload, text: JSON.stringify(payload) });

describe('toHttpResponse', () => {
  it('passes a structured response on, header names lowercased and values as text', () => {
    const { response, problem } = toHttpResponse(
      ok({ statusCode: 201, headers: { 'Content-Type': 'text/plain', 'X-Count': 3, 'X-Flag': true }, cookies: ['a=1; Path=/', 'b=2'], body: 'created ü' }),
    );
    assert.equal(problem, undefined);
    assert.deepEqual(response, {
      statusCode: 201,
      headers: { 'content-type': 'text/plain', 'x-count': '3', 'x-flag': 'true' },
      cookies: ['a=1; Path=/', 'b=2'],
      body: Buffer.from('created ü'),
    });
  });

  it('accepts a response with only a statusCode, or null for everything else', () => {
    const empty = { statusCode: 204, headers: {}, cookies: [], body: Buffer.alloc(0) };
    assert.deepEqual(toHttpResponse(ok({ statusCode: 204 })), { response: empty });
    assert.deepEqual(toHttpResponse(ok({ statusCode: 204, headers: null, cookies: null, body: null, isBase64Encoded: null })), { response: empty });
    assert.deepEqual(toHttpResponse(ok({ statusCode: 100 })).response.statusCode, 100);
    assert.deepEqual(toHttpResponse(ok({ statusCode: 599 })).response.statusCode, 599);
  });

  it('decodes a base64-encoded body, and leaves any other body as text', () => {
    const bytes = Buffer.from([0, 1, 2, 254, 255]);
    assert.deepEqual(toHttpResponse(ok({ statusCode: 200, body: bytes.toString('base64'), isBase64Encoded: true })).response.body, bytes);
    assert.deepEqual(toHttpResponse(ok({ statusCode: 200, body: 'aGk=', isBase64Encoded: false })).response.body, Buffer.from('aGk='));
    assert.deepEqual(toHttpResponse(ok({ statusCode: 200, isBase64Encoded: true })).response.body, Buffer.alloc(0));
  });

  it('answers every malformed structured response with 500 and says why, for the log', () => {
    const malformed = [
      [{ statusCode: 200.5 }, /statusCode 200\.5 is not an HTTP status/],
      [{ statusCode: 99 }, /statusCode 99/],
      [{ statusCode: 600 }, /statusCode 600/],
      [{ statusCode: '200' }, /statusCode "200"/],
      [{ statusCode: null }, /statusCode null/],
      [{ statusCode: true }, /statusCode true/],
      [{ statusCode: 200, headers: 'content-type: text/plain' }, /headers is not a map of strings/],
      [{ statusCode: 200, headers: ['content-type', 'text/plain'] }, /headers is not a map of strings/],
      [{ statusCode: 200, headers: { a: { b: 1 } } }, /headers is not a map of strings/],
      [{ statusCode: 200, headers: { a: ['1', '2'] } }, /headers is not a map of strings/],
      [{ statusCode: 200, headers: { a: null } }, /headers is not a map of strings/],
      [{ statusCode: 200, cookies: 'a=1' }, /cookies is not a list of strings/],
      [{ statusCode: 200, cookies: ['a=1', 2] }, /cookies is not a list of strings/],
      [{ statusCode: 200, cookies: { a: '1' } }, /cookies is not a list of strings/],
      [{ statusCode: 200, body: { message: 'hi' } }, /body is not a string/],
      [{ statusCode: 200, body: 42 }, /body is not a string/],
      [{ statusCode: 200, body: ['a'] }, /body is not a string/],
      [{ statusCode: 200, body: 'aGk=', isBase64Encoded: 'true' }, /isBase64Encoded is not a boolean/],
      [{ statusCode: 200, body: 'aGk=', isBase64Encoded: 1 }, /isBase64Encoded is not a boolean/],
    ];
    for (const [payload, why] of malformed) {
      const { response, problem } = toHttpResponse(ok(payload));
      assert.deepEqual(response, INTERNAL, JSON.stringify(payload));
      assert.match(problem, /^malformed response: /);
      assert.match(problem, why);
    }
    // A statusCode key without a value is a malformed response too, not an inferred one.
    const { response, problem } = toHttpResponse({ ok: true, payload: { statusCode: undefined, body: 'x' }, text: '{"body":"x"}' });
    assert.deepEqual(response, INTERNAL);
    assert.match(problem, /statusCode undefined/);
  });

  it('infers a 200 application/json response, its body the JSON as returned, for any other JSON answer', () => {
    const inferred = (text) => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, cookies: [], body: Buffer.from(text) });
    for (const payload of [{ hello: 'world' }, { status: 201, body: 'x' }, [1, 2, { statusCode: 404 }], 'hello', 42, true, null]) {
      const result = ok(payload);
      assert.deepEqual(toHttpResponse(result), { response: inferred(result.text) }, JSON.stringify(payload));
    }
    // serverless-offline's answer for a function that returns nothing.
    assert.deepEqual(toHttpResponse({ ok: true, payload: null, text: 'null' }), { response: inferred('null') });
  });

  it('answers 500 to a response over 6 MB, counted in bytes', () => {
    const body = 'x'.repeat(MAX_RESPONSE_BYTES);
    const { response, problem } = toHttpResponse({ ok: true, payload: body, text: JSON.stringify(body) });
    assert.deepEqual(response, INTERNAL);
    assert.equal(problem, 'function-error: the response is larger than 6 MB');
    // Fewer characters than the quota, more bytes.
    const wide = JSON.stringify({ statusCode: 200, body: 'ü'.repeat(MAX_RESPONSE_BYTES / 2) });
    assert.ok(wide.length < MAX_RESPONSE_BYTES);
    assert.deepEqual(toHttpResponse({ ok: true, payload: JSON.parse(wide), text: wide }).response, INTERNAL);
    // At the quota exactly, it passes.
    const exact = JSON.stringify({ statusCode: 200, body: '' });
    const padded = exact.replace('""', `"${'y'.repeat(MAX_RESPONSE_BYTES - exact.length)}"`);
    assert.equal(Buffer.byteLength(padded), MAX_RESPONSE_BYTES);
    assert.equal(toHttpResponse({ ok: true, payload: JSON.parse(padded), text: padded }).response.statusCode, 200);
  });

  it('answers every failed invocation with 500 {"message":"Internal Server Error"}, its cause only in problem', () => {
    for (const kind of ['throttled', 'timeout', 'function-error', 'unreachable']) {
      const error = `secret at /work/main/src/handler.js:1 (${kind})`;
      const { response, problem } = toHttpResponse({ ok: false, kind, error });
      assert.deepEqual(response, INTERNAL);
      assert.equal(problem, `${kind}: ${error}`);
      assert.ok(!response.body.toString().includes('secret'));
    }
  });

  it("gives AWS's own answers, a fresh one each time", () => {
    const answers = [
      [INTERNAL_SERVER_ERROR, 500, 'Internal Server Error'],
      [SERVICE_UNAVAILABLE, 503, 'Service Unavailable'],
      [REQUEST_TOO_LARGE, 413, 'Request Entity Too Large'],
    ];
    for (const [answer, statusCode, message] of answers) {
      const first = answer();
      assert.deepEqual(first, { statusCode, headers: { 'content-type': 'application/json' }, cookies: [], body: Buffer.from(JSON.stringify({ message })) });
      first.headers['x-changed'] = 'yes';
      assert.equal(answer().headers['x-changed'], undefined);
    }
  });
});

// ---------------------------------------------------------------------------

const CORS = {
  AllowOrigins: ['https://app.example', 'https://admin.example'],
  AllowMethods: ['GET', 'POST'],
  AllowHeaders: ['Content-Type', 'x-api-key'],
  ExposeHeaders: ['x-total', 'x-page'],
  MaxAge: 600,
  AllowCredentials: true,
};
const preflight = (origin, method, requestHeaders) => ({
  ...(origin && { origin }),
  ...(method && { 'access-control-request-method': method }),
  ...(requestHeaders && { 'access-control-request-headers': requestHeaders }),
});

describe('CORS', () => {
  it('recognises a preflight: OPTIONS with an Origin and Access-Control-Request-Method', () => {
    assert.equal(isPreflight('OPTIONS', preflight('https://app.example', 'GET')), true);
    assert.equal(isPreflight('OPTIONS', preflight(undefined, 'GET')), false);
    assert.equal(isPreflight('OPTIONS', preflight('https://app.example')), false);
    assert.equal(isPreflight('GET', preflight('https://app.example', 'GET')), false);
  });

  it('answers a preflight from a listed origin with that origin and the configured headers', () => {
    assert.deepEqual(preflightHeaders(CORS, preflight('https://admin.example', 'POST', 'X-API-Key, content-type, X-Other')), {
      'access-control-allow-origin': 'https://admin.example',
      'access-control-allow-methods': 'GET,POST',
      'access-control-allow-headers': 'x-api-key,content-type',
      'access-control-max-age': '600',
      'access-control-allow-credentials': 'true',
    });
  });

  it("answers any origin with '*' when '*' is allowed, and a listed origin with itself", () => {
    const open = { AllowOrigins: ['*'], AllowMethods: ['GET'] };
    assert.deepEqual(preflightHeaders(open, preflight('https://anyone.example', 'GET')), {
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'GET',
    });
    const both = { AllowOrigins: ['https://app.example', '*'], AllowMethods: ['GET'] };
    assert.equal(preflightHeaders(both, preflight('https://app.example', 'GET'))['access-control-allow-origin'], 'https://app.example');
    assert.equal(withCorsHeaders(open, { origin: 'https://anyone.example' }, {})['access-control-allow-origin'], '*');
  });

  it('gives no CORS headers to a disallowed origin, a missing origin, or a disallowed method', () => {
    assert.deepEqual(preflightHeaders(CORS, preflight('https://evil.example', 'GET')), {});
    assert.deepEqual(preflightHeaders(CORS, preflight('https://app.example.evil', 'GET')), {});
    assert.deepEqual(preflightHeaders(CORS, preflight(undefined, 'GET')), {});
    assert.deepEqual(preflightHeaders(CORS, preflight('https://app.example', 'DELETE')), {});
    assert.deepEqual(preflightHeaders({ AllowMethods: ['GET'] }, preflight('https://app.example', 'GET')), {});
  });

  it('compares methods without regard to case, and allows any with *', () => {
    assert.equal(preflightHeaders(CORS, preflight('https://app.example', 'post'))['access-control-allow-origin'], 'https://app.example');
    const anyMethod = { AllowOrigins: ['*'], AllowMethods: ['*'] };
    assert.deepEqual(preflightHeaders(anyMethod, preflight('https://x.example', 'PATCH')), {
      'access-control-allow-origin': '*',
      'access-control-allow-methods': '*',
    });
  });

  it('grants only the requested headers that are allowed, every one with *, and none when none is', () => {
    const granted = (cors, requested) => preflightHeaders(cors, preflight('https://app.example', 'GET', requested))['access-control-allow-headers'];
    assert.equal(granted(CORS, 'x-other'), undefined);
    assert.equal(granted(CORS, undefined), undefined);
    assert.equal(granted(CORS, ' , content-type ,'), 'content-type');
    assert.equal(granted({ ...CORS, AllowHeaders: ['*'] }, 'X-One, x-two'), 'x-one,x-two');
    assert.equal(granted({ ...CORS, AllowHeaders: undefined }, 'content-type'), undefined);
  });

  it('sends MaxAge whenever it is set, and credentials only when allowed', () => {
    const headersFor = (cors) => preflightHeaders({ AllowOrigins: ['*'], AllowMethods: ['GET'], ...cors }, preflight('https://a.example', 'GET'));
    assert.equal(headersFor({ MaxAge: 0 })['access-control-max-age'], '0');
    assert.ok(!('access-control-max-age' in headersFor({})));
    assert.ok(!('access-control-allow-credentials' in headersFor({ AllowCredentials: false })));
    assert.equal(headersFor({ AllowCredentials: true })['access-control-allow-credentials'], 'true');
  });

  it("puts the configured headers on a response in place of the integration's own", () => {
    const integration = {
      'content-type': 'application/json',
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'PUT',
      'access-control-expose-headers': 'x-secret',
      'x-total': '3',
    };
    assert.deepEqual(withCorsHeaders(CORS, { origin: 'https://app.example' }, integration), {
      'content-type': 'application/json',
      'x-total': '3',
      'access-control-allow-origin': 'https://app.example',
      'access-control-expose-headers': 'x-total,x-page',
      'access-control-allow-credentials': 'true',
    });
    // A disallowed or missing origin: the integration's CORS headers are dropped all the same.
    for (const requestHeaders of [{ origin: 'https://evil.example' }, {}]) {
      assert.deepEqual(withCorsHeaders(CORS, requestHeaders, integration), { 'content-type': 'application/json', 'x-total': '3' });
    }
    // Without ExposeHeaders or AllowCredentials, only the origin.
    assert.deepEqual(withCorsHeaders({ AllowOrigins: ['*'], ExposeHeaders: [] }, { origin: 'https://a.example' }, {}), { 'access-control-allow-origin': '*' });
  });

  it('leaves the response alone for an API without CORS', () => {
    const headers = { 'access-control-allow-origin': 'https://own.example', 'content-type': 'text/plain' };
    assert.equal(withCorsHeaders(undefined, { origin: 'https://app.example' }, headers), headers);
  });
});
