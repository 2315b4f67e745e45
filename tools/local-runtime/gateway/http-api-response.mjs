// What an API Gateway HTTP API answers for one Lambda proxy invocation,
// payload format 2.0. Locally the same rules apply, so a client sees here
// what it will see in AWS: never a 2xx for a failed invocation, and never
// the function's error, stack trace or file paths.
//
//  - A valid response ({ statusCode, headers?, cookies?, body?, isBase64Encoded? })
//    is passed on; a JSON answer without statusCode becomes a 200
//    application/json response whose body is that JSON ("API Gateway infers
//    the response format"):
//    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html#http-api-develop-integrations-lambda.response
//  - The function threw, crashed, timed out, was throttled by Lambda, or
//    answered a malformed response: 500 {"message":"Internal Server Error"},
//    with the cause only in the logs ($context.integrationErrorMessage in AWS):
//    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-lambda.html
//    and, for which failures count as invocation or function errors,
//    https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html
//  - The integration took longer than its timeout (30 s at most): 503
//    {"message":"Service Unavailable"}:
//    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html
//  - A request body over the 10 MB payload quota: 413 {"message":"Request Entity Too Large"} (same quotas page).

/** The largest response a synchronous invocation may return (Lambda's 6 MB quota). */
export const MAX_RESPONSE_BYTES = 6 * 1024 * 1024;

/** @param {number} statusCode @param {string} message */
const answer = (statusCode, message) => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  cookies: /** @type {string[]} */ ([]),
  body: Buffer.from(JSON.stringify({ message })),
});

export const INTERNAL_SERVER_ERROR = () => answer(500, 'Internal Server Error');
export const SERVICE_UNAVAILABLE = () => answer(503, 'Service Unavailable');
export const REQUEST_TOO_LARGE = () => answer(413, 'Request Entity Too Large');

// Headers about the connection or the framing, which the gateway sets itself:
// a function's own would contradict them (API Gateway drops or remaps them too).
const GATEWAY_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'content-length']);

/** @param {unknown} value @returns {value is Record<string, any>} */
const isPlainObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);
/** @param {unknown} value */
const isHeaderValue = (value) => ['string', 'number', 'boolean'].includes(typeof value);

/** Why a structured response is malformed, or undefined when API Gateway would accept it. @param {Record<string, any>} payload */
const malformation = (payload) => {
  const { statusCode, headers, cookies, body, isBase64Encoded } = payload;
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) return `statusCode ${JSON.stringify(statusCode)} is not an HTTP status`;
  if (headers !== undefined && headers !== null && !(isPlainObject(headers) && Object.values(headers).every(isHeaderValue))) {
    return 'headers is not a map of strings';
  }
  if (cookies !== undefined && cookies !== null && !(Array.isArray(cookies) && cookies.every((cookie) => typeof cookie === 'string'))) {
    return 'cookies is not a list of strings';
  }
  if (body !== undefined && body !== null && typeof body !== 'string') return 'body is not a string';
  if (isBase64Encoded !== undefined && isBase64Encoded !== null && typeof isBase64Encoded !== 'boolean') return 'isBase64Encoded is not a boolean';
  return undefined;
};

/**
 * @param {import('../lambda/lambda-invoke.mjs').InvokeResult} result
 * @returns {{ response: { statusCode: number, headers: Record<string, string>, cookies: string[], body: Buffer }, problem?: string }}
 *   `problem` says, for the log only, why the client got an error.
 */
export const toHttpResponse = (result) => {
  if (result.ok === false) return { response: INTERNAL_SERVER_ERROR(), problem: `${result.kind}: ${result.error}` };
  if (Buffer.byteLength(result.text) > MAX_RESPONSE_BYTES) {
    return { response: INTERNAL_SERVER_ERROR(), problem: 'function-error: the response is larger than 6 MB' };
  }
  const payload = /** @type {any} */ (result.payload);
  if (!isPlainObject(payload) || !('statusCode' in payload)) {
    return { response: { statusCode: 200, headers: { 'content-type': 'application/json' }, cookies: [], body: Buffer.from(result.text) } };
  }
  const problem = malformation(payload);
  if (problem) return { response: INTERNAL_SERVER_ERROR(), problem: `malformed response: ${problem}` };
  const body = payload.body ?? '';
  return {
    response: {
      statusCode: payload.statusCode,
      headers: Object.fromEntries(
        Object.entries(payload.headers ?? {})
          .map(([name, value]) => [name.toLowerCase(), String(value)])
          .filter(([name]) => !GATEWAY_HEADERS.has(String(name))),
      ),
      cookies: payload.cookies ?? [],
      body: payload.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body),
    },
  };
};
