// A bucket's CORS configuration (its CorsConfiguration.CorsRules, as
// CloudFormation spells them), applied as S3 applies it
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html): the first
// rule whose AllowedOrigins match the Origin (one `*` wildcard each), whose
// AllowedMethods have the method and whose AllowedHeaders match every header
// the preflight asks for (case-insensitive, `*` wildcards) answers.
import { s3Error } from './errors.mjs';

/** @typedef {{ AllowedOrigins?: string[], AllowedMethods?: string[], AllowedHeaders?: string[], ExposedHeaders?: string[], MaxAge?: number, Id?: string }} CorsRule */

/** @param {string} pattern @param {string} value */
const wildcard = (pattern, value) => {
  const source = pattern.toLowerCase().replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${source}$`, 's').test(value.toLowerCase());
};

/**
 * The rule that allows this request, if any.
 * @param {CorsRule[] | undefined} rules @param {{ origin: string, method: string, requestHeaders?: string[] }} request
 */
export const matchingRule = (rules, { origin, method, requestHeaders = [] }) =>
  (rules ?? []).find(
    (rule) =>
      (rule.AllowedOrigins ?? []).some((pattern) => wildcard(pattern, origin)) &&
      (rule.AllowedMethods ?? []).includes(method.toUpperCase()) &&
      requestHeaders.every((header) => (rule.AllowedHeaders ?? []).some((pattern) => wildcard(pattern, header))),
  );

/** The headers S3 sends with a response a rule allows. @param {CorsRule} rule @param {string} origin */
const allowHeaders = (rule, origin) => ({
  // A rule whose only origin is `*` is answered with `*` (no credentials), as S3 does.
  'access-control-allow-origin': (rule.AllowedOrigins ?? []).includes('*') ? '*' : origin,
  'access-control-allow-methods': (rule.AllowedMethods ?? []).join(', '),
  ...(rule.ExposedHeaders?.length && { 'access-control-expose-headers': rule.ExposedHeaders.join(', ') }),
  ...(rule.MaxAge !== undefined && { 'access-control-max-age': String(rule.MaxAge) }),
  vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
});

/**
 * S3's answer to an OPTIONS preflight.
 * @param {CorsRule[] | undefined} rules
 * @param {Record<string, string | string[] | undefined>} headers the preflight's
 * @returns {{ status: number, headers: Record<string, string>, body: string }}
 */
export const preflight = (rules, headers) => {
  const origin = String(headers.origin ?? '');
  const method = String(headers['access-control-request-method'] ?? '');
  if (!origin || !method) return s3Error('AccessForbidden', 'CORSResponse: Bucket CORS request is missing the Origin or Access-Control-Request-Method header.', { Method: method || 'OPTIONS', ResourceType: 'BUCKET' });
  if (!rules?.length) return s3Error('AccessForbidden', 'CORSResponse: CORS is not enabled for this bucket.', { Method: method, ResourceType: 'BUCKET' });
  const requestHeaders = String(headers['access-control-request-headers'] ?? '').split(',').map((header) => header.trim().toLowerCase()).filter(Boolean);
  const rule = matchingRule(rules, { origin, method, requestHeaders });
  if (!rule) {
    return s3Error(
      'AccessForbidden',
      'CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource\'s CORS spec.',
      { Method: method, ResourceType: 'BUCKET' },
    );
  }
  return {
    status: 200,
    headers: { ...allowHeaders(rule, origin), ...(requestHeaders.length > 0 && { 'access-control-allow-headers': requestHeaders.join(', ') }) },
    body: '',
  };
};

/**
 * The CORS headers of an actual (not preflight) response: those of the rule
 * allowing its Origin and method, or none.
 * @param {CorsRule[] | undefined} rules @param {string | undefined} origin @param {string} method
 * @returns {Record<string, string>}
 */
export const responseCorsHeaders = (rules, origin, method) => {
  if (!origin) return {};
  const rule = matchingRule(rules, { origin, method });
  if (!rule) return {};
  // A preflight's Max-Age means nothing on an actual response.
  return Object.fromEntries(Object.entries(allowHeaders(rule, origin)).filter(([name]) => name !== 'access-control-max-age'));
};
