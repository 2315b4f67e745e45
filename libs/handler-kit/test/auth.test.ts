import { ForbiddenError, UnauthorizedError } from '@platform/errors';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { callerOf, customerOf, httpHandler } from '../src';

const context = { awsRequestId: 'aws-req-1', functionName: 'fn' } as Context;

/** A payload 2.0 event as API Gateway sends it after its JWT authorizer let the request through. */
const event = (claims?: Record<string, string>, scopes: string[] | null = null): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    routeKey: 'GET /orders/{id}',
    rawPath: '/orders/o1',
    headers: {},
    requestContext: { requestId: 'req-1', ...(claims && { authorizer: { jwt: { claims, scopes } } }) },
    isBase64Encoded: false,
  }) as unknown as APIGatewayProxyEventV2;

describe('callerOf and customerOf', () => {
  afterEach(() => {
    delete process.env.JWT_EMAIL_CLAIM;
  });

  it('reads the verified claims and scopes; a public route has no caller', () => {
    expect(callerOf(event())).toBeUndefined();
    expect(callerOf(event({ sub: 'u1', email: 'Ada@Example.com', exp: '1700000000' }, ['items:write']))).toEqual({
      subject: 'u1',
      claims: { sub: 'u1', email: 'Ada@Example.com', exp: '1700000000' },
      scopes: ['items:write'],
    });
    expect(callerOf(event({ email: 'ada@example.com' }))).toBeUndefined();
  });

  it('makes a customer from the subject and the email claim, lower-cased, from a configurable claim', () => {
    expect(customerOf(callerOf(event({ sub: 'u1', email: 'Ada@Example.com' })))).toEqual({ id: 'u1', email: 'ada@example.com' });
    process.env.JWT_EMAIL_CLAIM = 'https://shop.example.com/email';
    expect(customerOf(callerOf(event({ sub: 'u2', 'https://shop.example.com/email': 'bob@example.com' })))).toEqual({ id: 'u2', email: 'bob@example.com' });
  });

  it('refuses to act for nobody (401) or for a caller without a usable email (403)', () => {
    expect(() => customerOf(undefined)).toThrow(UnauthorizedError);
    expect(() => customerOf(callerOf(event({ sub: 'u1' })))).toThrow(ForbiddenError);
    expect(() => customerOf(callerOf(event({ sub: 'u1', email: 'not an email' })))).toThrow(ForbiddenError);
  });

  it('refuses (403) a token whose issuer says the email is not verified: email_verified false, as a boolean or a string', () => {
    // callerOf flattens claims to strings as API Gateway does, so a JSON false reaches customerOf as "false".
    const unverified = event({ sub: 'u1', email: 'ada@example.com', email_verified: false } as unknown as Record<string, string>);
    expect(() => customerOf(callerOf(unverified))).toThrow(ForbiddenError);
    expect(() => customerOf(callerOf(event({ sub: 'u1', email: 'ada@example.com', email_verified: 'false' })))).toThrow(/not verified/);
    // Only an explicit yes vouches for the address: a value that is neither true nor absent is refused too.
    for (const value of ['FALSE', '0', 'no', '']) {
      expect(() => customerOf(callerOf(event({ sub: 'u1', email: 'ada@example.com', email_verified: value })))).toThrow(ForbiddenError);
    }
  });

  it('accepts email_verified true, and a token without email_verified (many issuers omit it from access tokens)', () => {
    const verified = event({ sub: 'u1', email: 'ada@example.com', email_verified: true } as unknown as Record<string, string>);
    expect(customerOf(callerOf(verified))).toEqual({ id: 'u1', email: 'ada@example.com' });
    expect(customerOf(callerOf(event({ sub: 'u1', email: 'ada@example.com', email_verified: 'true' })))).toEqual({ id: 'u1', email: 'ada@example.com' });
    expect(customerOf(callerOf(event({ sub: 'u1', email: 'ada@example.com' })))).toEqual({ id: 'u1', email: 'ada@example.com' });
  });

  it('reads the verified flag beside a configured email claim (<claim>_verified)', () => {
    process.env.JWT_EMAIL_CLAIM = 'https://shop.example.com/email';
    const claims = { sub: 'u2', 'https://shop.example.com/email': 'bob@example.com' };
    expect(() => customerOf(callerOf(event({ ...claims, 'https://shop.example.com/email_verified': 'false' })))).toThrow(ForbiddenError);
    expect(customerOf(callerOf(event({ ...claims, 'https://shop.example.com/email_verified': 'true' })))).toEqual({ id: 'u2', email: 'bob@example.com' });
  });

  it('answers 401 through httpHandler when a route that needs a customer is reached without an authorizer, never 500', async () => {
    const handler = httpHandler({}, async ({ caller }) => ({ statusCode: 200, body: customerOf(caller) }));
    const refused = await handler(event(), context);
    expect(refused.statusCode).toBe(401);
    expect(refused.headers?.['www-authenticate']).toBe('Bearer');
    expect(JSON.parse(refused.body ?? '{}')).toEqual({ error: { code: 'UNAUTHORIZED', message: 'This route needs a signed-in customer' } });
    const noEmail = await handler(event({ sub: 'u1' }), context);
    expect(noEmail.statusCode).toBe(403);
    expect(noEmail.headers?.['www-authenticate']).toMatch(/^Bearer error="insufficient_scope"/);
    const unverified = await handler(event({ sub: 'u1', email: 'ada@example.com', email_verified: 'false' }), context);
    expect(unverified.statusCode).toBe(403);
    expect(unverified.headers?.['www-authenticate']).toMatch(/^Bearer error="insufficient_scope"/);
    expect(JSON.parse(unverified.body ?? '{}')).toEqual({ error: { code: 'FORBIDDEN', message: expect.stringContaining('not verified') } });
    expect(unverified.body).not.toContain('ada@example.com');
    const served = await handler(event({ sub: 'u1', email: 'ada@example.com' }), context);
    expect(JSON.parse(served.body ?? '{}')).toEqual({ id: 'u1', email: 'ada@example.com' });
  });
});
