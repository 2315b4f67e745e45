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

  it('answers 401 through httpHandler when a route that needs a customer is reached without an authorizer, never 500', async () => {
    const handler = httpHandler({}, async ({ caller }) => ({ statusCode: 200, body: customerOf(caller) }));
    const refused = await handler(event(), context);
    expect(refused.statusCode).toBe(401);
    expect(refused.headers?.['www-authenticate']).toBe('Bearer');
    expect(JSON.parse(refused.body ?? '{}')).toEqual({ error: { code: 'UNAUTHORIZED', message: 'This route needs a signed-in customer' } });
    const noEmail = await handler(event({ sub: 'u1' }), context);
    expect(noEmail.statusCode).toBe(403);
    expect(noEmail.headers?.['www-authenticate']).toMatch(/^Bearer error="insufficient_scope"/);
    const served = await handler(event({ sub: 'u1', email: 'ada@example.com' }), context);
    expect(JSON.parse(served.body ?? '{}')).toEqual({ id: 'u1', email: 'ada@example.com' });
  });
});
