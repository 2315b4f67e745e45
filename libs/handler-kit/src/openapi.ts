// The error answers every HTTP service documents, and the JWT security scheme,
// for the services' OpenAPI documents (services/*/src/api/openapi.ts). Imported
// as @platform/handler-kit/openapi, never from the handler kit's index, so no
// handler bundles it.
import type { DomainErrorCode } from '@platform/errors';
import { DEFAULT_MAX_BODY_BYTES } from './http';
import * as z from 'zod';
import type { ZodOpenApiResponseObject, ZodOpenApiSecuritySchemeObject } from 'zod-openapi';

/** The security scheme's name, as operations name it in `security`. */
export const JWT = 'jwt';

export const jwtSecurityScheme: ZodOpenApiSecuritySchemeObject = {
  type: 'http',
  scheme: 'bearer',
  bearerFormat: 'JWT',
  description:
    "An OIDC access token from the stage's issuer, sent as `Authorization: Bearer <token>`. " +
    'Locally: `npm run token -- --email you@example.com [--scope items:write]`.',
};

// Every code a client can meet in the API's own error shape: the domain's
// (libs/errors, mapped by libs/handler-kit), the handler kit's INTERNAL, the
// local gateway's TOO_MANY_REQUESTS and NOT_FOUND, and the authorizer's.
const ErrorCodeSchema = z.enum([
  'BAD_REQUEST',
  'VALIDATION_FAILED',
  'NOT_FOUND',
  'CONFLICT',
  'PAYLOAD_TOO_LARGE',
  'TEMPORARILY_UNAVAILABLE',
  'INTERNAL',
  'TOO_MANY_REQUESTS',
  'UNAUTHORIZED',
  'FORBIDDEN',
]);
// Compile-time: a new domain error code fails the typecheck until it is documented here.
const _everyDomainCodeIsDocumented: DomainErrorCode extends z.output<typeof ErrorCodeSchema> ? true : false = true;

export const ErrorBodySchema = z
  .object({
    error: z.object({
      code: ErrorCodeSchema,
      message: z.string(),
      details: z
        .array(z.object({ path: z.string().meta({ description: 'Dotted path of the field, e.g. `quantity` or `query.limit`' }), message: z.string() }))
        .optional()
        .meta({ description: 'One entry per field that failed validation (422, and 400 for a bad query)' }),
    }),
  })
  .meta({ id: 'ErrorBody', description: "The API's one error shape; never carries a stack trace or an internal message." });

export const GatewayMessageSchema = z.object({ message: z.string() }).meta({
  id: 'GatewayMessage',
  description:
    'What API Gateway (and the local gateway, which does what it does) answers by itself, in its own shape: ' +
    '`Unauthorized`, `Forbidden`, `Too Many Requests`, `Request Entity Too Large`, `Internal Server Error`, `Service Unavailable`.',
});

/** An answer in the API's error shape only: the handler refused the request. */
export const errorResponse = (description: string): ZodOpenApiResponseObject => ({
  description,
  content: { 'application/json': { schema: ErrorBodySchema } },
});

/** An answer that comes from the handler (ErrorBody) or from the gateway in front of it (GatewayMessage). */
const errorOrGateway = (id: string, description: string, extra: Partial<ZodOpenApiResponseObject> = {}): ZodOpenApiResponseObject => ({
  id,
  description,
  content: { 'application/json': { schema: z.union([ErrorBodySchema, GatewayMessageSchema]) } },
  ...extra,
});

// One component each, so every operation's list reads as a list of references.
export const unauthorized = errorOrGateway(
  'Unauthorized',
  'No token, or an invalid or expired one. Locally `{"error":{"code":"UNAUTHORIZED"}}`; ' +
    'in AWS the JWT authorizer answers `{"message":"Unauthorized"}` before the function runs.',
);

export const forbidden = errorOrGateway(
  'Forbidden',
  'The token lacks a scope the route requires. Locally `{"error":{"code":"FORBIDDEN"}}`; in AWS the JWT authorizer answers `{"message":"Forbidden"}`.',
);

export const payloadTooLarge = errorOrGateway(
  'PayloadTooLarge',
  `The body is over the function's limit (${DEFAULT_MAX_BODY_BYTES / 1024} KiB; \`{"error":{"code":"PAYLOAD_TOO_LARGE"}}\`), ` +
    'or over the gateway\'s 10 MB payload quota (`{"message":"Request Entity Too Large"}`).',
);

export const tooManyRequests = errorOrGateway(
  'TooManyRequests',
  'Throttled. Locally the function\'s queue of waiting invocations is full (`{"error":{"code":"TOO_MANY_REQUESTS"}}`, with Retry-After); ' +
    'in AWS the stage\'s or account\'s throttling answers `{"message":"Too Many Requests"}`.',
  { headers: z.object({ 'Retry-After': z.string().optional().meta({ description: 'Seconds to wait before retrying (local gateway only)' }) }) },
);

export const internalServerError = errorOrGateway(
  'InternalServerError',
  'A bug or a misconfiguration: the handler answers `{"error":{"code":"INTERNAL"}}`; when the function itself fails ' +
    '(throws, crashes, times out, answers a malformed response) the gateway answers `{"message":"Internal Server Error"}`. The cause is only in the logs.',
);

export const serviceUnavailable = errorOrGateway(
  'ServiceUnavailable',
  'A dependency is throttled, down, or did not answer in time (`{"error":{"code":"TEMPORARILY_UNAVAILABLE"}}`, with Retry-After): ' +
    'the function gives up a second before its own timeout rather than be cut off by it. Or the function did not answer within the ' +
    'integration timeout (`{"message":"Service Unavailable"}`). Safe to retry; the write may still have happened, so retry a POST with ' +
    'the same Idempotency-Key where the route takes one.',
  { headers: z.object({ 'Retry-After': z.string().optional().meta({ description: 'Seconds to wait before retrying' }) }) },
);

/** What any route can answer, whatever it does: throttling, failures of the function or its dependencies, and the gateway's 10 MB payload quota. */
export const anyRouteResponses = { 413: payloadTooLarge, 429: tooManyRequests, 500: internalServerError, 503: serviceUnavailable } as const;
