// The status each request must get, worked out before it is sent, in the order
// the system decides: the gateway routes (404), runs the JWT authorizer
// (401/403), refuses bodies over 10 MB (413); the handler then checks the
// body (400 missing or not JSON, 413 over 16 KiB, 422 schema), the path id
// (404), the query (400), and the domain decides (404, 409, 403, 422, 2xx):
// that last step is the scenario's (OracleHooks.decide), from its model.
// The payload 2.0 event is built by the local gateway's own code
// (toHttpApiEvent), so the oracle sees exactly what the function sees: the
// same headers, query parameters and (base64-encoded or not) body.
import http from 'node:http';
import { toHttpApiEvent } from '@platform/local-runtime/gateway/http-api-event';
import { GATEWAY_MAX_BODY, HANDLER_MAX_BODY, limitBounds } from './plans.mjs';

/**
 * @typedef {import('./openapi.mjs').Operation} Operation
 * @typedef {import('./tokens.mjs').TokenKind} TokenKind
 * @typedef {ReturnType<typeof toHttpApiEvent>} HttpApiEvent
 *
 * @typedef {object} DecideInput
 * @property {string | undefined} id  the path id as the handler got it
 * @property {any} body  the body as the handler parsed (and normalized) it
 * @property {HttpApiEvent} event
 * @property {TokenKind} caller
 * @property {any} model
 *
 * @typedef {object} OracleHooks  the scenario's part of the oracle
 * @property {Record<string, (input: DecideInput) => { status: number, why: string }>} decide
 *   each route's decision once the request is well-formed, by operationId, from what the model knows
 * @property {(body: unknown) => unknown} [normalize]  what the handler's schema does to a body before it checks it (e.g. trims a name)
 * @property {Record<string, (body: any) => boolean>} [bodyRules]  rules of a route's body beyond its schema (refinements), by operationId
 */

/**
 * @typedef {object} Expectation
 * @property {number[]} statuses  the statuses that are right (one, in practice)
 * @property {string} why
 * @property {boolean} [gatewayMessage]  API Gateway's own `{"message"}` body is right (the 10 MB quota)
 * @property {boolean} [parserRefusal]  Node's HTTP parser refuses it before the gateway reads it: its clientError handler answers 400
 * @property {'missing' | 'invalid' | 'scope'} [challenge]  the www-authenticate a 401/403 must carry
 * @property {unknown} [body]  the body as the handler parsed it, when it did
 * @property {string} [pathId]  the path id as the handler got it
 * @property {string} [operationId]  the operation the gateway routes it to (the method may not be the plan's route's)
 */

/** @param {string} text */
const decode = (text) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

/** @param {string} segment */
const isParam = (segment) => /^\{[^}]+\}$/.test(segment);

/**
 * The operation the gateway routes `method pathname` to (router: literal beats {param}, decoded segments), or undefined.
 * @param {Operation[]} operations @param {string} method @param {string} pathname
 * @returns {{ operation: Operation, params: Record<string, string>, rank: string } | undefined}
 */
const route = (operations, method, pathname) => {
  const segments = pathname.split('/').slice(1).map(decode);
  const matches = operations
    .map((operation) => {
      const template = operation.path.split('/').slice(1);
      if (template.length !== segments.length) return undefined;
      /** @type {Record<string, string>} */
      const params = {};
      for (const [index, part] of template.entries()) {
        const segment = segments[index] ?? '';
        if (isParam(part)) {
          if (segment === '') return undefined;
          params[part.slice(1, -1)] = segment;
        } else if (part !== segment) return undefined;
      }
      return { operation, params, rank: template.map((part) => (isParam(part) ? '1' : '0')).join('') };
    })
    .filter((match) => match !== undefined)
    .sort((a, b) => a.rank.localeCompare(b.rank));
  return matches.find((match) => match.operation.method === method);
};

/** Node's HTTP parser: the methods it knows (case-sensitive), and its 16 KiB of headers (--max-http-header-size). */
const HTTP_METHODS = new Set(http.METHODS);
const MAX_HEADER_BYTES = 16 * 1024;

/**
 * The request line and headers as they go on the wire, roughly (the fuzzer's sizes stay well clear of the limit).
 * @param {import('./http-client.mjs').RawRequest} request
 */
const headerBytes = (request) =>
  request.method.length + request.path.length + 12 + request.headers.reduce((sum, part) => sum + part.length + 2, 0) + 40;

/**
 * @param {{ request: import('./http-client.mjs').RawRequest, ctx: import('./materialize.mjs').Ctx, operations: Operation[],
 *   openapi: ReturnType<typeof import('./openapi.mjs').createOpenApi>, model: any, hooks: OracleHooks,
 *   cursors?: (model: any) => string[] }} input  cursors: the real ones the API made (the scenario's materialize.cursors)
 * @returns {Expectation}
 */
export const expectationFor = ({ request, ctx, operations, openapi, model, hooks, cursors = () => [] }) => {
  // Refused by Node's HTTP parser before the gateway reads the request; the gateway's clientError handler answers.
  if (ctx.rawBytesPath) return { statuses: [400], parserRefusal: true, why: 'bytes above 0x7f in the request line: refused by the HTTP parser' };
  if (!HTTP_METHODS.has(request.method)) return { statuses: [400], parserRefusal: true, why: `${request.method} is no HTTP method Node's parser knows` };
  if (headerBytes(request) > MAX_HEADER_BYTES) return { statuses: [431], parserRefusal: true, why: 'more than 16 KiB of headers: refused by the HTTP parser' };

  const [pathname = '', rawQuery] = splitOnce(request.path, '?');
  const headerOf = (/** @type {string} */ name) => {
    const at = request.headers.findIndex((value, index) => index % 2 === 0 && value.toLowerCase() === name);
    return at < 0 ? undefined : request.headers[at + 1];
  };
  const preflightFor = request.method === 'OPTIONS' && headerOf('origin') !== undefined ? headerOf('access-control-request-method') : undefined;
  if (preflightFor !== undefined) {
    // The gateway answers a preflight itself, for any path an API with CORS routes (every API has CORS).
    const routed = route(operations, preflightFor.toUpperCase(), pathname) ?? operations.map((operation) => route(operations, operation.method, pathname)).find(Boolean);
    return routed ? { statuses: [204], why: 'a CORS preflight of a route' } : { statuses: [404], why: 'a preflight of no route' };
  }
  const match = route(operations, request.method, pathname);
  if (!match) return { statuses: [404], why: 'no route' };
  const { operation, params } = match;
  const routed = { operationId: operation.operationId };

  if (operation.scopes !== undefined) {
    const caller = ctx.caller;
    if (caller.verdict === 'missing') return { statuses: [401], challenge: 'missing', why: 'no token', ...routed };
    if (caller.verdict === 'invalid') return { statuses: [401], challenge: 'invalid', why: `an invalid token (${ctx.authKind})`, ...routed };
    if (operation.scopes.length > 0 && !operation.scopes.some((scope) => caller.scopes?.includes(scope))) {
      return { statuses: [403], challenge: 'scope', why: `the token lacks ${operation.scopes.join(' or ')}`, ...routed };
    }
  }
  if (ctx.bodyBytes > GATEWAY_MAX_BODY) return { statuses: [413], gatewayMessage: true, why: 'a body over the gateway’s 10 MB', ...routed };

  const event = toHttpApiEvent({
    method: request.method,
    url: rawQuery === undefined ? pathname : `${pathname}?${rawQuery}`,
    rawHeaders: request.headers,
    body: request.body,
    route: { routeKey: `${operation.method} ${operation.path}`, service: 'fuzz' },
    params,
    requestId: 'oracle',
    receivedAt: Date.now(),
  });

  // The handler: body, then path, then query (libs/handler-kit httpHandler).
  let body;
  if (operation.bodySchema) {
    if (event.body === undefined || event.body === null || event.body === '') return { statuses: [400], why: 'no body', ...routed };
    const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
    if (raw.byteLength > HANDLER_MAX_BODY) return { statuses: [413], why: `a body of ${raw.byteLength} bytes, over 16 KiB`, ...routed };
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return { statuses: [400], why: 'a body that is not JSON', ...routed };
    }
    const rule = hooks.bodyRules?.[operation.operationId] ?? (() => true);
    const normalized = hooks.normalize ? hooks.normalize(body) : body;
    if (!openapi.bodyFits(operation, normalized) || !rule(normalized)) return { statuses: [422], why: 'a body that does not fit the schema', body, ...routed };
    body = normalized;
  }
  const pathParameter = operation.parameters.find((parameter) => parameter.in === 'path');
  const id = pathParameter ? params[pathParameter.name] : undefined;
  if (pathParameter && !new RegExp(pathParameter.schema?.pattern ?? '.*').test(id ?? '')) return { statuses: [404], why: 'an id that cannot name anything', body, ...routed };
  const queryParameters = operation.parameters.filter((parameter) => parameter.in === 'query');
  if (queryParameters.length > 0) {
    const problem = queryProblem(operation, event.queryStringParameters ?? {}, cursors(model));
    if (problem) return { statuses: [400], why: problem, body, ...routed };
  }

  const decide = hooks.decide[operation.operationId];
  if (!decide) return { statuses: [], why: `the fuzzer has no model of ${operation.operationId}: any non-5xx answer`, body, pathId: id, ...routed };
  const { status, why } = decide({ id, body, event, caller: ctx.caller, model });
  return { statuses: [status], why, body, pathId: id, ...routed };
};

/**
 * What is wrong with a listing's query, or undefined: `limit` an integer within its schema's
 * bounds, written in plain decimal digits as OpenAPI serializes an integer query parameter
 * (no sign, exponent, hex or spaces: `1e2` is not 100); `cursor` one the API made.
 * @param {Operation} operation @param {Record<string, string | undefined>} query @param {string[]} cursors
 */
const queryProblem = (operation, query, cursors) => {
  if (query.limit !== undefined) {
    const limit = /^[0-9]+$/.test(query.limit) ? Number(query.limit) : NaN;
    const { min, max } = limitBounds(operation);
    if (!Number.isInteger(limit) || limit < min || limit > max) return `limit ${JSON.stringify(query.limit)} is not a whole number from ${min} to ${max} in decimal digits`;
  }
  if (query.cursor !== undefined && !cursors.includes(query.cursor)) return 'a cursor the API did not make';
  return undefined;
};

/** @param {string} text @param {string} separator @returns {[string, string | undefined]} */
const splitOnce = (text, separator) => {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + separator.length)];
};
