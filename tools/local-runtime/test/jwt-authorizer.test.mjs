// The local JWT authorizer, as API Gateway's: every bad credential gets the
// status and www-authenticate AWS gives, in the API's error shape, through
// the real gateway over real sockets, without the function ever running and
// without the token ever echoed back. Tokens come from the dev issuer
// (`npm run token`'s code) with keys in a throw-away folder, plus a second
// issuer's keys for forgeries.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SignJWT, UnsecuredJWT, base64url, generateKeyPair } from 'jose';
import { LOCAL_JWT_AUDIENCE, LOCAL_JWT_ISSUER } from '../aws.cjs';
import { loadDevIssuer, serveJwks, subjectFor } from '../gateway/dev-issuer.mjs';
import { startHttpGateway } from '../gateway/http-gateway.mjs';
import { routesFromTemplate } from '../gateway/http-routes.mjs';
import { createJwtAuthorizer, createKeyResolver } from '../gateway/jwt-authorizer.mjs';
import { parseExpiry, tokenRequest } from '../token.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const AUTH = { issuer: LOCAL_JWT_ISSUER, audience: [LOCAL_JWT_AUDIENCE], identitySource: '$request.header.Authorization' };

/** A compiled template with a public GET, a token-only POST and a scoped DELETE, as osls compiles an httpApi JWT authorizer. */
const template = () => {
  const fn = (name) => ({ Type: 'AWS::Lambda::Function', Properties: { FunctionName: name, Handler: 'h.handler', Timeout: 6 } });
  const integration = (fnId) => ({
    Type: 'AWS::ApiGatewayV2::Integration',
    Properties: { ApiId: { Ref: 'HttpApi' }, IntegrationType: 'AWS_PROXY', IntegrationUri: { 'Fn::GetAtt': [fnId, 'Arn'] }, PayloadFormatVersion: '2.0' },
  });
  const route = (routeKey, integrationId, auth = {}) => ({
    Type: 'AWS::ApiGatewayV2::Route',
    Properties: { ApiId: { Ref: 'HttpApi' }, RouteKey: routeKey, Target: { 'Fn::Join': ['/', ['integrations', { Ref: integrationId }]] }, ...auth },
  });
  const jwt = (scopes) => ({ AuthorizationType: 'JWT', AuthorizerId: { Ref: 'HttpApiAuthorizerJwt' }, ...(scopes && { AuthorizationScopes: scopes }) });
  return {
    Resources: {
      HttpApi: { Type: 'AWS::ApiGatewayV2::Api', Properties: { Name: 'local-shop', ProtocolType: 'HTTP' } },
      HttpApiAuthorizerJwt: {
        Type: 'AWS::ApiGatewayV2::Authorizer',
        Properties: {
          ApiId: { Ref: 'HttpApi' },
          Name: 'jwt',
          AuthorizerType: 'JWT',
          IdentitySource: ['$request.header.Authorization'],
          JwtConfiguration: { Issuer: LOCAL_JWT_ISSUER, Audience: [LOCAL_JWT_AUDIENCE] },
        },
      },
      ReadFn: fn('shop-local-read'),
      OrderFn: fn('shop-local-order'),
      DeleteFn: fn('shop-local-delete'),
      ReadIntegration: integration('ReadFn'),
      OrderIntegration: integration('OrderFn'),
      DeleteIntegration: integration('DeleteFn'),
      ReadRoute: route('GET /things/{id}', 'ReadIntegration'),
      OrderRoute: route('POST /orders', 'OrderIntegration', jwt()),
      DeleteRoute: route('DELETE /things/{id}', 'DeleteIntegration', jwt(['items:write', 'items:admin'])),
    },
  };
};

describe('routesFromTemplate and authorizers', () => {
  it('reads each route’s JWT authorizer and scopes; public routes have none', () => {
    const byKey = Object.fromEntries(routesFromTemplate(template(), 'shop').map((route) => [route.routeKey, route.auth]));
    assert.equal(byKey['GET /things/{id}'], undefined);
    assert.deepEqual(byKey['POST /orders'], { ...AUTH, scopes: [] });
    assert.deepEqual(byKey['DELETE /things/{id}'], { ...AUTH, scopes: ['items:write', 'items:admin'] });
  });

  it('refuses to start with an authorizer it cannot enforce, rather than serve the route unprotected', () => {
    const iam = template();
    iam.Resources.OrderRoute.Properties.AuthorizationType = 'AWS_IAM';
    assert.throws(() => routesFromTemplate(iam, 'shop'), /enforces JWT authorizers only, not AWS_IAM/);
    const dangling = template();
    dangling.Resources.OrderRoute.Properties.AuthorizerId = { Ref: 'Missing' };
    assert.throws(() => routesFromTemplate(dangling, 'shop'), /does not name a JWT authorizer/);
  });
});

describe('the JWT authorizer through the local gateway', () => {
  let keyDir;
  let issuer;
  let gateway;
  let baseUrl;
  const invocations = [];
  const log = [];

  before(async () => {
    keyDir = mkdtempSync(path.join(tmpdir(), 'dev-issuer-'));
    issuer = await loadDevIssuer({ dir: keyDir });
    const invoke = async (functionName, event) => {
      invocations.push({ functionName, event });
      const payload = { statusCode: 200, body: JSON.stringify({ ran: functionName }) };
      return { ok: true, payload, text: JSON.stringify(payload) };
    };
    gateway = await startHttpGateway({
      port: 0,
      routes: routesFromTemplate(template(), 'shop'),
      invoke,
      authorize: createJwtAuthorizer({ keysFor: createKeyResolver([issuer]) }),
      extras: [serveJwks(issuer.jwks)],
      log: (line) => log.push(line),
    });
    baseUrl = `http://127.0.0.1:${gateway.port}`;
  });

  after(async () => {
    await gateway?.close();
    rmSync(keyDir, { recursive: true, force: true });
  });

  const call = async (method, urlPath, authorization) => {
    const before = invocations.length;
    const response = await fetch(`${baseUrl}${urlPath}`, { method, headers: authorization === undefined ? {} : { authorization } });
    const text = await response.text();
    return { status: response.status, text, json: JSON.parse(text), challenge: response.headers.get('www-authenticate'), ran: invocations.length > before };
  };

  /** A request refused with `status`, in the API's error shape, the function not run and the token nowhere in the answer. */
  const assertRefused = (response, status, description, token) => {
    assert.equal(response.status, status, response.text);
    assert.equal(response.ran, false, 'the function must not run');
    assert.deepEqual(Object.keys(response.json), ['error']);
    assert.equal(response.json.error.code, status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN');
    assert.equal(typeof response.json.error.message, 'string');
    if (description) assert.match(response.challenge, new RegExp(description.replace(/[[\]]/g, '\\$&')));
    if (token) {
      for (const part of token.split('.').filter((piece) => piece.length > 8)) {
        assert.ok(!response.text.includes(part) && !response.challenge.includes(part), 'the answer must not echo the token');
      }
    }
  };

  const forge = async (claims = {}, { alg = 'RS256', kid } = {}) => {
    const { privateKey } = await generateKeyPair(alg);
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ email: 'eve@example.com', ...claims })
      .setProtectedHeader({ alg, kid: kid ?? issuer.jwks.keys[0].kid })
      .setIssuer(LOCAL_JWT_ISSUER)
      .setAudience(LOCAL_JWT_AUDIENCE)
      .setSubject('eve')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(privateKey);
  };

  it('lets a public route through without a token', async () => {
    const response = await call('GET', '/things/1');
    assert.equal(response.status, 200);
    assert.equal(response.ran, true);
    assert.equal(invocations.at(-1).event.requestContext.authorizer, undefined);
  });

  it('passes a valid token’s claims and scopes to the function as payload 2.0 does, with or without "Bearer "', async () => {
    const token = await issuer.sign({ email: 'ada@example.com', scopes: ['items:write'] });
    for (const authorization of [`Bearer ${token}`, token, `bearer   ${token}`]) {
      const response = await call('POST', '/orders', authorization);
      assert.equal(response.status, 200, response.text);
      const { jwt } = invocations.at(-1).event.requestContext.authorizer;
      assert.equal(jwt.claims.email, 'ada@example.com');
      assert.equal(jwt.claims.sub, subjectFor('ada@example.com'));
      assert.equal(jwt.claims.aud, LOCAL_JWT_AUDIENCE);
      assert.match(jwt.claims.exp, /^\d+$/, 'claims reach the function as strings');
      assert.deepEqual(jwt.scopes, ['items:write']);
    }
  });

  it('lets email_verified: false through as the string "false", as API Gateway does: handler-kit’s customerOf refuses it', async () => {
    const token = await issuer.sign({ email: 'ada@example.com', extra: { email_verified: false } });
    assert.equal((await call('POST', '/orders', `Bearer ${token}`)).status, 200);
    assert.equal(invocations.at(-1).event.requestContext.authorizer.jwt.claims.email_verified, 'false');
  });

  it('answers 401 without a challenge error to a request with no token', async () => {
    const response = await call('POST', '/orders');
    assertRefused(response, 401);
    assert.equal(response.challenge, 'Bearer');
    assert.equal((await call('POST', '/orders', '')).status, 401);
    assert.equal((await call('POST', '/orders', 'Bearer ')).status, 401);
  });

  it('answers 401 invalid_token to a malformed token', async () => {
    for (const garbage of ['not-a-jwt', 'a.b.c', 'Bearer eyJhbGciOiJSUzI1NiJ9.e30', '....', `${'x'.repeat(5000)}`]) {
      assertRefused(await call('POST', '/orders', garbage), 401, 'error="invalid_token" error_description="the token is malformed"', garbage);
    }
  });

  it('answers 401 to an unsigned token (alg: none), even with every claim right', async () => {
    const now = Math.floor(Date.now() / 1000);
    const unsigned = new UnsecuredJWT({ email: 'eve@example.com', scope: 'items:write' })
      .setIssuer(LOCAL_JWT_ISSUER)
      .setAudience(LOCAL_JWT_AUDIENCE)
      .setSubject('eve')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .encode();
    assertRefused(await call('DELETE', '/things/1', `Bearer ${unsigned}`), 401, 'invalid_token', unsigned);
  });

  it('answers 401 to a forged signature: another key under the dev issuer’s kid, or an unknown kid', async () => {
    const forged = await forge({ scope: 'items:write' });
    assertRefused(await call('DELETE', '/things/1', `Bearer ${forged}`), 401, 'the token signature is invalid', forged);
    const unknownKid = await forge({}, { kid: 'someone-elses-key' });
    assertRefused(await call('POST', '/orders', `Bearer ${unknownKid}`), 401, 'the token is signed with an unknown key', unknownKid);
  });

  it('answers 401 to a token without a kid (or an empty one), even signed with the dev issuer’s only key, as API Gateway does', async () => {
    // jose alone would try the only key of a one-key JWKS; API Gateway finds the key by kid, so it refuses such a token.
    for (const kid of [null, '']) {
      const customer = await issuer.sign({ email: 'ada@example.com', kid });
      assertRefused(await call('POST', '/orders', `Bearer ${customer}`), 401, 'error="invalid_token" error_description="the token has no kid header"', customer);
      const staff = await issuer.sign({ email: 'ada@example.com', scopes: ['items:write'], kid });
      assertRefused(await call('DELETE', '/things/1', `Bearer ${staff}`), 401, 'error="invalid_token"', staff);
    }
    // The same claims under the key's kid are let through: the kid is what was missing.
    assert.equal((await call('POST', '/orders', `Bearer ${await issuer.sign({ email: 'ada@example.com' })}`)).status, 200);
  });

  it('answers 401 to a token with its payload swapped after signing', async () => {
    const token = await issuer.sign({ email: 'eve@example.com' });
    const [header, , signature] = token.split('.');
    const payload = base64url.encode(JSON.stringify({ iss: LOCAL_JWT_ISSUER, aud: LOCAL_JWT_AUDIENCE, sub: 'eve', scope: 'items:write', exp: 9999999999 }));
    assertRefused(await call('DELETE', '/things/1', `Bearer ${header}.${payload}.${signature}`), 401, 'the token signature is invalid');
  });

  it('answers 401 to a token signed with an algorithm API Gateway does not accept (HS256, ES256)', async () => {
    const hs = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(LOCAL_JWT_ISSUER).setAudience(LOCAL_JWT_AUDIENCE).setSubject('eve').setExpirationTime('10m').sign(new TextEncoder().encode('x'.repeat(32)));
    assertRefused(await call('POST', '/orders', `Bearer ${hs}`), 401, 'not signed with a supported algorithm', hs);
    const es = await forge({}, { alg: 'ES256' });
    assertRefused(await call('POST', '/orders', `Bearer ${es}`), 401, 'not signed with a supported algorithm', es);
  });

  it('answers 401 to an expired token, a token not valid yet, and one issued in the future', async () => {
    const expired = await issuer.sign({ email: 'ada@example.com', expiresInSeconds: -60 });
    assertRefused(await call('POST', '/orders', `Bearer ${expired}`), 401, 'error_description="the token has expired"', expired);
    const early = await issuer.sign({ email: 'ada@example.com', notBefore: Math.floor(Date.now() / 1000) + 600, expiresInSeconds: 1200 });
    assertRefused(await call('POST', '/orders', `Bearer ${early}`), 401, 'the token is not valid yet', early);
    const future = await issuer.sign({ email: 'ada@example.com', issuedAt: Math.floor(Date.now() / 1000) + 600, expiresInSeconds: 1200 });
    assertRefused(await call('POST', '/orders', `Bearer ${future}`), 401, 'the token was issued in the future', future);
  });

  it('answers 401 to a token from another issuer or for another audience; accepts client_id when there is no aud', async () => {
    const otherIssuer = await issuer.sign({ email: 'ada@example.com', issuer: 'https://evil.example.com' });
    assertRefused(await call('POST', '/orders', `Bearer ${otherIssuer}`), 401, 'the token does not have a valid issuer', otherIssuer);
    const otherAudience = await issuer.sign({ email: 'ada@example.com', audience: 'another-api' });
    assertRefused(await call('POST', '/orders', `Bearer ${otherAudience}`), 401, 'the token does not have a valid audience', otherAudience);
    const clientOnly = await issuer.sign({ email: 'ada@example.com', audience: null, extra: { client_id: LOCAL_JWT_AUDIENCE } });
    assert.equal((await call('POST', '/orders', `Bearer ${clientOnly}`)).status, 200);
    const otherClient = await issuer.sign({ email: 'ada@example.com', audience: null, extra: { client_id: 'another-app' } });
    assertRefused(await call('POST', '/orders', `Bearer ${otherClient}`), 401, 'the token does not have a valid audience', otherClient);
    // aud wins over client_id when both are there, as API Gateway evaluates them.
    const both = await issuer.sign({ email: 'ada@example.com', audience: 'another-api', extra: { client_id: LOCAL_JWT_AUDIENCE } });
    assertRefused(await call('POST', '/orders', `Bearer ${both}`), 401, 'the token does not have a valid audience', both);
  });

  it('answers 403 insufficient_scope when the token lacks every scope the route needs, and accepts any one of them', async () => {
    const customer = await issuer.sign({ email: 'ada@example.com' });
    const response = await call('DELETE', '/things/1', `Bearer ${customer}`);
    assertRefused(response, 403, 'error="insufficient_scope"', customer);
    assert.equal(response.challenge, 'Bearer scope="items:write items:admin" error="insufficient_scope" error_description="expected scopes: [items:write items:admin]"');
    const reader = await issuer.sign({ email: 'ada@example.com', scopes: ['items:read'] });
    assertRefused(await call('DELETE', '/things/1', `Bearer ${reader}`), 403);
    const admin = await issuer.sign({ email: 'ada@example.com', scopes: ['items:admin'] });
    assert.equal((await call('DELETE', '/things/1', `Bearer ${admin}`)).status, 200);
    const scp = await issuer.sign({ email: 'ada@example.com', extra: { scp: ['items:write'] } });
    assert.equal((await call('DELETE', '/things/1', `Bearer ${scp}`)).status, 200);
  });

  it('logs why each request was refused, with its request id, and never the token', async () => {
    const expired = await issuer.sign({ email: 'ada@example.com', expiresInSeconds: -60 });
    log.length = 0;
    await call('POST', '/orders', `Bearer ${expired}`);
    const reason = log.find((line) => line.startsWith('POST /orders → '));
    assert.match(reason, /^POST \/orders → shop 401 \(\d+ ms\) \S+: invalid_token \(the token has expired\)$/);
    assert.ok(!log.join('\n').includes(expired.split('.')[1]));
  });

  it('serves the dev issuer’s public keys, and only the public half', async () => {
    const response = await fetch(`${baseUrl}/.well-known/jwks.json`);
    assert.equal(response.status, 200);
    const { keys } = await response.json();
    assert.equal(keys.length, 1);
    assert.equal(keys[0].kty, 'RSA');
    for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(keys[0][secret], undefined);
  });
});

describe('npm run token', () => {
  it('reads --email, repeatable or comma-separated --scope, --expires and --sub', () => {
    assert.deepEqual(tokenRequest(['--email', 'ada@example.com']), { email: 'ada@example.com', scopes: [], expiresInSeconds: 3600 });
    assert.deepEqual(tokenRequest(['--email', 'a@b.co', '--scope', 'items:write', '--scope', 'x y,z', '--expires', '15m', '--sub', 'u1']), {
      email: 'a@b.co',
      scopes: ['items:write', 'x', 'y', 'z'],
      expiresInSeconds: 900,
      subject: 'u1',
    });
    assert.equal(parseExpiry('2d'), 172800);
    assert.equal(parseExpiry('90'), 90);
    for (const bad of ['0', '-1h', '1w', '31d', 'soon']) assert.throws(() => parseExpiry(bad), /--expires/);
    assert.throws(() => tokenRequest([]), /--email is required/);
    assert.throws(() => tokenRequest(['--email', 'not-an-email']), /--email/);
    assert.throws(() => tokenRequest(['--email', 'a@b.co', '--admin']), /Unknown option/);
  });

  it('prints only a token the local stack accepts, for the email and scopes asked', async () => {
    const out = execFileSync('npm', ['run', '-s', 'token', '--', '--email', 'ada@example.com', '--scope', 'items:write', '--expires', '5m'], { cwd: ROOT, encoding: 'utf8' });
    const token = out.trim();
    assert.match(out, /^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const authorize = createJwtAuthorizer({ keysFor: createKeyResolver([await loadDevIssuer()]) });
    const verdict = await authorize({ ...AUTH, scopes: ['items:write'] }, { authorization: `Bearer ${token}` });
    assert.equal(verdict.ok, true);
    assert.equal(verdict.context.jwt.claims.email, 'ada@example.com');
    assert.ok(Number(verdict.context.jwt.claims.exp) - Number(verdict.context.jwt.claims.iat) === 300);
  });

  it('exits non-zero with one usage line, and prints no token, for bad arguments', () => {
    assert.throws(
      () => execFileSync('npm', ['run', '-s', 'token', '--', '--email', 'nope'], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' }),
      (error) => error.status === 2 && error.stdout === '' && /--email/.test(error.stderr) && error.stderr.trim().split('\n').length === 1,
    );
  });
});
