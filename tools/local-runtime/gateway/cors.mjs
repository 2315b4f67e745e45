// CORS as an HTTP API with a CorsConfiguration does it: API Gateway answers
// preflight requests itself, with or without an OPTIONS route, and sets the
// CORS headers of every other response, ignoring any its integration returns.
// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html

/**
 * @typedef {import('@platform/local-runtime/types').CorsConfiguration} CorsConfiguration
 * @typedef {import('node:http').IncomingHttpHeaders} Headers
 */

/** @param {unknown[]} [values] */
const lower = (values = []) => values.map((value) => String(value).toLowerCase());

/** @param {CorsConfiguration} cors @param {string | undefined} origin */
const allowedOrigin = (cors, origin) => {
  if (!origin) return undefined;
  const origins = cors.AllowOrigins ?? [];
  if (origins.includes(origin)) return origin;
  return origins.includes('*') ? '*' : undefined;
};

/** @param {Record<string, string>} headers */
const dropIntegrationCorsHeaders = (headers) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith('access-control-')));

/** A preflight: OPTIONS with an Origin and the method the browser wants to use. @param {string | undefined} method @param {Headers} headers */
export const isPreflight = (method, headers) =>
  method === 'OPTIONS' && Boolean(headers.origin) && Boolean(headers['access-control-request-method']);

/**
 * The headers of a preflight's 204 answer; only the allowed parts are echoed.
 * @param {CorsConfiguration} cors @param {Headers} headers
 * @returns {Record<string, string>}
 */
export const preflightHeaders = (cors, headers) => {
  const origin = allowedOrigin(cors, headers.origin);
  if (!origin) return {};
  const methods = lower(cors.AllowMethods);
  const requestedMethod = /** @type {string} */ (headers['access-control-request-method']).toLowerCase();
  if (!methods.includes('*') && !methods.includes(requestedMethod)) return {};
  const allowHeaders = lower(cors.AllowHeaders);
  const requestedHeaders = lower((headers['access-control-request-headers'] ?? '').split(',').map((name) => name.trim()).filter(Boolean));
  const grantedHeaders = allowHeaders.includes('*') ? requestedHeaders : requestedHeaders.filter((name) => allowHeaders.includes(name));
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': (cors.AllowMethods ?? []).join(','),
    ...(grantedHeaders.length > 0 && { 'access-control-allow-headers': grantedHeaders.join(',') }),
    ...(cors.MaxAge !== undefined && { 'access-control-max-age': String(cors.MaxAge) }),
    ...(cors.AllowCredentials && { 'access-control-allow-credentials': 'true' }),
  };
};

/**
 * A response's headers with the API's CORS headers in place of the integration's.
 * @param {CorsConfiguration | undefined} cors @param {Headers} requestHeaders @param {Record<string, string>} responseHeaders
 * @returns {Record<string, string>}
 */
export const withCorsHeaders = (cors, requestHeaders, responseHeaders) => {
  if (!cors) return responseHeaders;
  const origin = allowedOrigin(cors, requestHeaders.origin);
  return {
    ...dropIntegrationCorsHeaders(responseHeaders),
    ...(origin && { 'access-control-allow-origin': origin }),
    ...(origin && cors.ExposeHeaders?.length && { 'access-control-expose-headers': cors.ExposeHeaders.join(',') }),
    ...(origin && cors.AllowCredentials && { 'access-control-allow-credentials': 'true' }),
  };
};
