import type { Logger } from '@aws-lambda-powertools/logger';
import { BadRequestError, NotFoundError, PayloadTooLargeError, type ErrorDetail } from '@platform/errors';
import { getTracer, withCorrelationId } from '@platform/observability';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type * as z from 'zod';
import { callerOf, type Caller } from './auth';
import { corsHeaders } from './cors';
import { toHttpError } from './errors-to-http';
import { instrumented } from './instrument';
import { loggerForInvocation } from './logger';
import { parseOrThrow } from './validation';

/** Bodies above this are refused with 413 before they are parsed. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;

export interface RouteSchemas<B extends z.ZodType, P extends z.ZodType, Q extends z.ZodType> {
  body?: B;
  path?: P;
  query?: Q;
  maxBodyBytes?: number;
}

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface HttpRequest<B, P, Q> {
  body: B;
  path: P;
  query: Q;
  /** Header names are lower-case, as API Gateway HTTP APIs deliver them. */
  headers: Record<string, string | undefined>;
  requestId: string;
  /** The verified caller on a route behind the JWT authorizer; undefined on a public one. */
  caller: Caller | undefined;
  logger: Logger;
}

export interface HttpResponse {
  statusCode: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

const readJsonBody = (event: APIGatewayProxyEventV2, maxBytes: number): unknown => {
  // API Gateway delivers `body: null` for a request without one.
  if (event.body === undefined || event.body === null || event.body === '') throw new BadRequestError('A JSON request body is required');
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (raw.byteLength > maxBytes) {
    throw new PayloadTooLargeError(`The request body is larger than ${maxBytes} bytes`);
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new BadRequestError('The request body is not valid JSON');
  }
};

// A path that cannot name a resource names none; a bad query is a bad request, not a bad document.
const noSuchResource = () => new NotFoundError('No such resource');
const badQuery = (details: ErrorDetail[]) => new BadRequestError('Invalid query parameters', details);

/** How long a client is asked to wait (Retry-After) before retrying a 503: a dependency that was throttled or did not answer in time. */
export const RETRY_AFTER_SECONDS = 2;

/**
 * A 401 or 403 says how to authenticate (RFC 6750 §3), as the JWT authorizer's do: this handler's
 * are a route reached with no verified caller, and a token that cannot be used here (no usable
 * email claim). Fixed texts: a header cannot carry an arbitrary message. A 503 says when to retry,
 * and so does a 429 whose error knows when (TooManyRequestsError).
 */
const headersFor = (statusCode: number, retryAfterSeconds?: number): Record<string, string> => {
  if (retryAfterSeconds !== undefined) return { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) };
  switch (statusCode) {
    case 401:
      return { 'www-authenticate': 'Bearer' };
    case 403:
      return { 'www-authenticate': 'Bearer error="insufficient_scope" error_description="the token does not allow this request"' };
    case 503:
      return { 'retry-after': String(RETRY_AFTER_SECONDS) };
    default:
      return {};
  }
};

const json = (statusCode: number, body: unknown, headers: Record<string, string>): APIGatewayProxyStructuredResultV2 =>
  body === undefined
    ? { statusCode, headers }
    : { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };

/**
 * The one way to write an HTTP (API Gateway v2) handler: the request is
 * size-checked, parsed and validated before `handle` runs, and whatever
 * `handle` throws becomes the shared error body with the right status.
 * Unexpected errors are logged with the request id and answered with a
 * generic 500.
 *
 * The request starts a flow: its request id is the flow's correlation id, in
 * each of the invocation's log lines (`correlationId`), on the trace
 * (annotation `correlationId`), and on every row the invocation writes, from
 * where the outbox carries it into the events that follow.
 */
export const httpHandler =
  <B extends z.ZodType = never, P extends z.ZodType = never, Q extends z.ZodType = never>(
    schemas: RouteSchemas<B, P, Q>,
    handle: (request: HttpRequest<Parsed<B>, Parsed<P>, Parsed<Q>>) => Promise<HttpResponse>,
  ): HttpHandler =>
  instrumented(async (event, context) => {
    const logger = loggerForInvocation(context);
    const requestId = event.requestContext?.requestId ?? context.awsRequestId;
    logger.appendKeys({ requestId, correlationId: requestId, route: event.routeKey });
    getTracer()?.putAnnotation('correlationId', requestId);
    const cors = corsHeaders(event.headers?.origin);

    try {
      const request = {
        body: (schemas.body
          ? parseOrThrow(schemas.body, readJsonBody(event, schemas.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES))
          : undefined) as Parsed<B>,
        path: (schemas.path
          ? parseOrThrow(schemas.path, event.pathParameters ?? {}, 'path', noSuchResource)
          : undefined) as Parsed<P>,
        query: (schemas.query
          ? parseOrThrow(schemas.query, event.queryStringParameters ?? {}, 'query', badQuery)
          : undefined) as Parsed<Q>,
        headers: event.headers ?? {},
        requestId,
        caller: callerOf(event),
        logger,
      };
      const response = await withCorrelationId(requestId, () => handle(request));
      logger.info('request handled', { statusCode: response.statusCode });
      return json(response.statusCode, response.body, { ...cors, ...response.headers });
    } catch (error) {
      const httpError = toHttpError(error);
      if (httpError.expected) {
        logger.info('request refused', { statusCode: httpError.statusCode, code: httpError.body.error.code });
      } else {
        logger.error('unhandled error', error as Error);
      }
      return json(httpError.statusCode, httpError.body, { ...cors, ...headersFor(httpError.statusCode, httpError.retryAfterSeconds) });
    }
  });
