import { ConflictError, NotFoundError, TooManyRequestsError } from '@platform/errors';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { mappingErrors } from '@platform/dynamo';
import { awsClient, awsClientConfig, countMetric, currentCorrelationId, INVOCATION_RESERVE_MS } from '@platform/observability';
import { httpEvent, metricsOf, startHungEndpoint } from '@platform/testing';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import * as z from 'zod';
import { httpHandler, RETRY_AFTER_SECONDS } from '../src';

const context = { awsRequestId: 'aws-req-1', functionName: 'fn' } as Context;

const event = (overrides: Partial<APIGatewayProxyEventV2> = {}): APIGatewayProxyEventV2 => httpEvent({ routeKey: 'POST /things', rawPath: '/things', ...overrides });

const Thing = z.strictObject({ name: z.string().min(1), size: z.number().int().positive(), tags: z.array(z.string()).optional() });

const createThing = httpHandler({ body: Thing, maxBodyBytes: 100 }, async ({ body }) => ({ statusCode: 201, body }));
const logLines: string[] = [];
const errorBody = (result: { body?: string }) => JSON.parse(result.body ?? '{}').error;

describe('httpHandler', () => {
  beforeEach(() => {
    process.env.CORS_ALLOWED_ORIGINS = 'https://app.example.com';
    logLines.length = 0;
    // Powertools writes JSON lines to stdout/stderr directly, not through console.
    for (const stream of [process.stdout, process.stderr]) {
      jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        logLines.push(String(chunk));
        return true;
      });
    }
  });

  afterEach(() => jest.restoreAllMocks());

  it('passes the parsed, validated body to the handler', async () => {
    const result = await createThing(event({ body: '{"name":"pen","size":2}' }), context);
    expect(result.statusCode).toBe(201);
    expect(JSON.parse(result.body ?? '')).toEqual({ name: 'pen', size: 2 });
    expect(result.headers?.['content-type']).toBe('application/json');
  });

  it('decodes a base64 body', async () => {
    const body = Buffer.from('{"name":"pen","size":2}').toString('base64');
    const result = await createThing(event({ body, isBase64Encoded: true }), context);
    expect(result.statusCode).toBe(201);
  });

  it.each([['{"name":'], ['not json'], ['{"a":1}}']])('answers 400 to malformed JSON %s', async (body) => {
    const result = await createThing(event({ body }), context);
    expect(result.statusCode).toBe(400);
    expect(errorBody(result)).toEqual({ code: 'BAD_REQUEST', message: 'The request body is not valid JSON' });
  });

  it.each([undefined, null, ''])('answers 400 to a missing body (%p), as API Gateway delivers one', async (body) => {
    const result = await createThing(event({ body: body as string | undefined }), context);
    expect(result.statusCode).toBe(400);
    expect(errorBody(result)).toEqual({ code: 'BAD_REQUEST', message: 'A JSON request body is required' });
  });

  it('answers 422 with the path of every invalid field', async () => {
    const result = await createThing(event({ body: '{"name":"","size":"big","tags":[1],"extra":true}' }), context);
    expect(result.statusCode).toBe(422);
    const error = errorBody(result);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details.map((d: { path: string }) => d.path).sort()).toEqual(['(root)', 'name', 'size', 'tags.0']);
  });

  it('answers 413 to a body over the limit, counted in bytes', async () => {
    const result = await createThing(event({ body: JSON.stringify({ name: 'é'.repeat(60), size: 1 }) }), context);
    expect(result.statusCode).toBe(413);
    expect(errorBody(result).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers 400 with details to a bad query, and 404 to a path that names nothing', async () => {
    const list = httpHandler(
      { query: z.object({ limit: z.coerce.number().int().max(10) }), path: z.object({ id: z.string().regex(/^[a-z]+$/) }) },
      async () => ({ statusCode: 200, body: [] }),
    );
    const badQuery = await list(event({ pathParameters: { id: 'abc' }, queryStringParameters: { limit: '99' } }), context);
    expect(badQuery.statusCode).toBe(400);
    expect(errorBody(badQuery).details[0].path).toBe('query.limit');
    const badPath = await list(event({ pathParameters: { id: 'A#1' }, queryStringParameters: { limit: '1' } }), context);
    expect(badPath.statusCode).toBe(404);
  });

  it.each([
    [new NotFoundError('Thing 1 not found'), 404, 'NOT_FOUND'],
    [new ConflictError('stale'), 409, 'CONFLICT'],
  ])('maps %p to its status', async (error, status, code) => {
    const handler = httpHandler({}, async () => {
      throw error;
    });
    const result = await handler(event(), context);
    expect(result.statusCode).toBe(status);
    expect(errorBody(result)).toEqual({ code, message: error.message });
  });

  it('answers 429 with the Retry-After its error says, in the error shape', async () => {
    const busy = httpHandler({}, async () => {
      throw new TooManyRequestsError('3 uploads pending', 41.2);
    });
    const result = await busy(event(), context);
    expect(result.statusCode).toBe(429);
    expect(result.headers).toMatchObject({ 'retry-after': '42', 'content-type': 'application/json' });
    expect(errorBody(result)).toEqual({ code: 'TOO_MANY_REQUESTS', message: '3 uploads pending' });
  });

  it('answers 503 with Retry-After, in the error shape, when a store hangs: the call is given up before the function would time out', async () => {
    const store = await startHungEndpoint();
    const client = awsClient(
      new DynamoDBClient({ ...awsClientConfig(), endpoint: store.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'k', secretAccessKey: 's' } }),
    );
    const getThing = httpHandler({}, async () => {
      await mappingErrors(() => client.send(new GetItemCommand({ TableName: 'things', Key: { pk: { S: 'thing-1' } } })));
      return { statusCode: 200 };
    });
    // 1.4 s before the timeout: the deadline (1 s before it) comes before the SDK's 3 s attempt timeout.
    const deadline = Date.now() + INVOCATION_RESERVE_MS + 400;
    const result = await getThing(event(), { ...context, getRemainingTimeInMillis: () => deadline - Date.now() });
    client.destroy();
    await store.close();
    expect(result.statusCode).toBe(503);
    expect(result.headers).toMatchObject({ 'retry-after': String(RETRY_AFTER_SECONDS), 'content-type': 'application/json' });
    expect(errorBody(result)).toEqual({ code: 'TEMPORARILY_UNAVAILABLE', message: 'The data store cannot be reached, try again' });
    expect(store.requests()).toBe(1);
  });

  it('hides unexpected errors behind a generic 500 and logs them with the request id', async () => {
    const handler = httpHandler({}, async () => {
      throw new Error('connection string postgres://secret leaked');
    });
    const result = await handler(event(), context);
    expect(result.statusCode).toBe(500);
    expect(result.body).not.toMatch(/secret|stack|at /);
    expect(errorBody(result)).toEqual({ code: 'INTERNAL', message: 'Internal server error' });
    const logged = logLines.map((line) => JSON.parse(line)).find((entry) => entry.level === 'ERROR');
    expect(logged).toMatchObject({ level: 'ERROR', requestId: 'req-1', function_request_id: 'aws-req-1' });
    expect(logged.error.message).toContain('secret');
  });

  it('makes the request id the flow’s correlation id: on every log line, and for whatever `handle` writes', async () => {
    let flow: string | undefined;
    const handler = httpHandler({}, async ({ logger }) => {
      flow = currentCorrelationId();
      logger.info('working');
      return { statusCode: 200, body: {} };
    });
    await handler(event(), context);
    expect(flow).toBe('req-1');
    const logged = logLines.map((line) => JSON.parse(line)).filter((entry) => entry.message);
    expect(logged.map((entry) => [entry.message, entry.correlationId])).toEqual([
      ['working', 'req-1'],
      ['request handled', 'req-1'],
    ]);
    expect(currentCorrelationId()).toBeUndefined();
  });

  it('writes what an invocation counted when it answers, whatever the answer, and nothing when it counted nothing', async () => {
    const handler = httpHandler({ body: Thing }, async () => {
      countMetric('OrdersPlaced');
      throw new ConflictError('taken');
    });
    await handler(event({ body: '{"name":"pen","size":2}' }), context);
    await handler(event({ body: 'not json' }), context);
    const metrics = metricsOf(logLines.map((line) => JSON.parse(line)));
    expect(metrics.map(({ name, value }) => [name, value])).toEqual([['OrdersPlaced', 1]]);
  });

  it('answers no body for 204', async () => {
    const handler = httpHandler({}, async () => ({ statusCode: 204 }));
    const result = await handler(event(), context);
    expect(result).toEqual({ statusCode: 204, headers: {} });
  });

  it('adds CORS headers only for allowed origins', async () => {
    const handler = httpHandler({}, async () => ({ statusCode: 200, body: {} }));
    const allowed = await handler(event({ headers: { origin: 'https://app.example.com' } }), context);
    expect(allowed.headers?.['access-control-allow-origin']).toBe('https://app.example.com');
    const other = await handler(event({ headers: { origin: 'https://evil.example' } }), context);
    expect(other.headers?.['access-control-allow-origin']).toBeUndefined();
    process.env.CORS_ALLOWED_ORIGINS = '*';
    const any = await handler(event({ headers: { origin: 'https://evil.example' } }), context);
    expect(any.headers?.['access-control-allow-origin']).toBe('*');
  });
});
