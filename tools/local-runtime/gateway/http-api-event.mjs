// The event an API Gateway HTTP API sends a Lambda proxy integration, payload
// format 2.0, built from one local request the way AWS builds it:
// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
import { randomBytes } from 'node:crypto';
import { LOCAL_ACCOUNT_ID } from '../cloudformation/cfn.mjs';

// Bodies of these types reach the function as text; any other body, or one
// without a content type, arrives base64-encoded with isBase64Encoded: true.
const TEXT_TYPES = /^(text\/|application\/([\w.+-]*\+)?(json|xml|javascript|x-www-form-urlencoded)\b)/i;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** @param {number} value */
const pad = (value) => String(value).padStart(2, '0');

/** requestContext.time: Common Log Format, in UTC. @param {number} epochMs */
export const clfTime = (epochMs) => {
  const d = new Date(epochMs);
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
};

/** An id shaped like API Gateway's (e.g. "Yp4lKhOtIAMEVXg="): one per request, logged and returned as apigw-requestid. */
export const newRequestId = () => randomBytes(11).toString('base64');

/** Header names lowercased; repeated headers joined with commas; cookies apart, as format 2.0 does. @param {string[]} rawHeaders */
const headersOf = (rawHeaders) => {
  // A Map, not an object: a header named constructor or __proto__ is a header like any other.
  /** @type {Map<string, string>} */
  const headers = new Map();
  /** @type {string[]} */
  const cookies = [];
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = /** @type {string} */ (rawHeaders[index]).toLowerCase();
    const value = /** @type {string} */ (rawHeaders[index + 1]);
    if (name === 'cookie') cookies.push(...value.split(';').map((cookie) => cookie.trim()).filter(Boolean));
    else headers.set(name, headers.has(name) ? `${headers.get(name)},${value}` : value);
  }
  return { headers: Object.fromEntries(headers), cookies };
};

/** @param {string} text */
const decodeQueryPart = (text) => {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
};

/** Repeated parameters joined with commas, as format 2.0 does; undefined when there are none. @param {string} rawQueryString */
const queryParametersOf = (rawQueryString) => {
  if (rawQueryString === '') return undefined;
  /** @type {Map<string, string>} */
  const parameters = new Map();
  for (const pair of rawQueryString.split('&')) {
    if (pair === '') continue;
    const separator = pair.indexOf('=');
    const name = decodeQueryPart(separator < 0 ? pair : pair.slice(0, separator));
    const value = separator < 0 ? '' : decodeQueryPart(pair.slice(separator + 1));
    parameters.set(name, parameters.has(name) ? `${parameters.get(name)},${value}` : value);
  }
  return parameters.size > 0 ? Object.fromEntries(parameters) : undefined;
};

/** @param {Buffer | undefined} body @param {string | undefined} contentType */
const bodyOf = (body, contentType) => {
  if (!body || body.length === 0) return {};
  return contentType && TEXT_TYPES.test(contentType)
    ? { body: body.toString('utf8'), isBase64Encoded: false }
    : { body: body.toString('base64'), isBase64Encoded: true };
};

/**
 * @param {{ method: string, url: string, rawHeaders: string[], body?: Buffer, sourceIp?: string,
 *   route: { routeKey: string, service: string }, params: Record<string, string>, requestId: string, receivedAt: number,
 *   authorizer?: object }} request  authorizer: what the route's authorizer verified (requestContext.authorizer)
 */
export const toHttpApiEvent = ({ method, url, rawHeaders, body, sourceIp, route, params, requestId, receivedAt, authorizer }) => {
  const queryStart = url.indexOf('?');
  const rawPath = queryStart < 0 ? url : url.slice(0, queryStart);
  const rawQueryString = queryStart < 0 ? '' : url.slice(queryStart + 1);
  const { headers, cookies } = headersOf(rawHeaders);
  const queryStringParameters = queryParametersOf(rawQueryString);
  const host = headers.host ?? 'localhost';
  return {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 && { cookies }),
    headers,
    ...(queryStringParameters && { queryStringParameters }),
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      ...(authorizer && { authorizer }),
      apiId: `local-${route.service}`,
      domainName: host,
      domainPrefix: host.split('.')[0],
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: sourceIp ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId,
      routeKey: route.routeKey,
      stage: '$default',
      time: clfTime(receivedAt),
      timeEpoch: receivedAt,
    },
    ...(Object.keys(params).length > 0 && { pathParameters: params }),
    isBase64Encoded: false,
    ...bodyOf(body, headers['content-type']),
  };
};
