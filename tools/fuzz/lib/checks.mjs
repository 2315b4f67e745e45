// The properties every answer must have, checked one request at a time.
// Each check returns a violation (property + what was wrong) or nothing; the
// runner adds the table check of refused writes (tables.mjs) and the
// scenario's own properties.

/** The properties, in the order they are reported. @type {Record<string, string>} */
export const PROPERTIES = {
  answered: 'an answer, within the timeout',
  no5xx: 'no 5xx',
  errorShape: 'every error in the API’s error shape {error:{code,message,details?}}',
  noLeak: 'no stack trace, file path, SDK message or token in an error',
  challenge: '401/403 carry www-authenticate',
  status: 'the status the request deserves (valid → 2xx, invalid → its 4xx)',
  openapi: 'the answer is one the OpenAPI document lists',
  unchanged: 'a refused write changed no table',
};

/** What an error body must never carry. */
const LEAKS = [
  { what: 'a stack frame', pattern: /\n\s+at\s|\bat\s+(?:async\s+)?[\w$.<>[\]]+\s+\(|\bat\s+(?:file:\/\/)?\/[\w/.-]+:\d+/ },
  { what: 'a file path', pattern: /\/work\/|node_modules|\/(?:var|opt|tmp|home|usr)\/|[\w-]+\.(?:ts|js|mjs|cjs|java):\d+/ },
  {
    what: 'an AWS SDK or DynamoDB message',
    pattern:
      /ValidationException|ConditionalCheckFailed|ResourceNotFound|TransactionCancel|TransactionConflict|ProvisionedThroughput|ThrottlingException|SerializationException|UnrecognizedClient|AccessDenied|ItemCollectionSizeLimit|RequestLimitExceeded|InternalServerError\b|\$metadata|\$fault|httpStatusCode|ECONNREFUSED|ECONNRESET|ETIMEDOUT|AttributeValue|ExpressionAttribute|ConditionExpression|KeySchema/,
  },
  { what: 'a JavaScript error', pattern: /TypeError|ReferenceError|RangeError|SyntaxError|Cannot read propert|is not a function|is not defined|undefined is not|Unexpected token|in JSON at position|Maximum call stack/ },
];

/** @param {unknown} value @returns {value is Record<string, any>} */
const isPlainObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Why `json` is not `{error:{code,message,details?}}` exactly, or undefined. @param {unknown} json */
export const errorShapeProblem = (json) => {
  if (!isPlainObject(json)) return 'the body is not a JSON object';
  const keys = Object.keys(json);
  if (keys.length !== 1 || keys[0] !== 'error') return `top-level keys ${JSON.stringify(keys)}, not just "error"`;
  const { error } = json;
  if (!isPlainObject(error)) return '"error" is not an object';
  const extra = Object.keys(error).filter((key) => !['code', 'message', 'details'].includes(key));
  if (extra.length > 0) return `"error" has other keys: ${extra.join(', ')}`;
  if (typeof error.code !== 'string' || !/^[A-Z_]+$/.test(error.code)) return '"error.code" is not an upper-case code';
  if (typeof error.message !== 'string' || error.message === '') return '"error.message" is not a non-empty string';
  if (error.details !== undefined) {
    if (!Array.isArray(error.details)) return '"error.details" is not an array';
    if (!error.details.every((/** @type {any} */ detail) => isPlainObject(detail) && typeof detail.path === 'string' && typeof detail.message === 'string')) {
      return '"error.details" entries are not {path, message}';
    }
  }
  return undefined;
};

/**
 * What `text` leaks, or undefined. Tokens: the Authorization values sent, none of which may come back.
 * @param {string} text @param {string[]} [tokens]
 */
export const leakIn = (text, tokens = []) => {
  for (const { what, pattern } of LEAKS) {
    const found = pattern.exec(text);
    if (found) return `${what}: …${text.slice(Math.max(0, found.index - 40), found.index + 60)}…`;
  }
  for (const token of tokens) {
    for (const part of token.replace(/^bearer\s+/i, '').split('.')) {
      if (part.length >= 16 && text.includes(part)) return 'the token sent';
    }
  }
  return undefined;
};

/**
 * @param {{ request: import('./http-client.mjs').RawRequest, response: import('./http-client.mjs').RawResponse,
 *   expectation: import('./oracle.mjs').Expectation, openapi: ReturnType<typeof import('./openapi.mjs').createOpenApi> }} input
 * @returns {{ checked: string[], violations: Array<{ property: string, message: string }>, json: unknown }}
 */
export const checkResponse = ({ request, response, expectation, openapi }) => {
  /** @type {string[]} */
  const checked = [];
  /** @type {Array<{ property: string, message: string }>} */
  const violations = [];
  /** @param {string} property @param {string | undefined} problem */
  const check = (property, problem) => {
    checked.push(property);
    if (problem) violations.push({ property, message: problem });
  };

  check('answered', response.status === undefined || response.error ? `no complete answer: ${response.error ?? 'none'}` : undefined);
  if (response.status === undefined) return { checked, violations, json: undefined };
  const { status } = response;
  const text = response.body.toString('utf8');
  let json;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }

  check('no5xx', status >= 500 ? `answered ${status}` : undefined);
  // A HEAD answer has no body to check.
  const head = request.method === 'HEAD';

  if (status >= 400 && !head) {
    let shape;
    if (expectation.parserRefusal && expectation.statuses.includes(status) && text === '') shape = undefined;
    else if (expectation.gatewayMessage && status === 413) {
      shape = isPlainObject(json) && Object.keys(json).join() === 'message' && json.message === 'Request Entity Too Large' ? undefined : 'not API Gateway’s {"message":"Request Entity Too Large"}';
    } else if (json === undefined) shape = `the body is not JSON: ${JSON.stringify(text.slice(0, 120))}`;
    else shape = errorShapeProblem(json);
    check('errorShape', shape);
    const tokens = request.headers.filter((_, index) => index % 2 === 1 && request.headers[index - 1] === 'authorization');
    check('noLeak', leakIn(`${text}\n${response.headers['www-authenticate'] ?? ''}`, tokens));
  }

  if (status === 401 || status === 403) {
    const challenge = response.headers['www-authenticate'];
    let problem;
    if (typeof challenge !== 'string' || !/^Bearer\b/.test(challenge)) problem = `no Bearer www-authenticate (got ${JSON.stringify(challenge)})`;
    else if (expectation.challenge === 'missing' && challenge !== 'Bearer') problem = `a request without a token gets the bare challenge "Bearer", not ${challenge}`;
    else if (expectation.challenge === 'invalid' && !challenge.includes('error="invalid_token"')) problem = `an invalid token gets error="invalid_token", not ${challenge}`;
    else if (expectation.challenge === 'scope' && !challenge.includes('error="insufficient_scope"')) problem = `a missing scope gets error="insufficient_scope", not ${challenge}`;
    check('challenge', problem);
  }

  if (expectation.statuses.length > 0) {
    check('status', expectation.statuses.includes(status) ? undefined : `expected ${expectation.statuses.join(' or ')} (${expectation.why}), got ${status}`);
  }

  if (!expectation.parserRefusal && !head) {
    check('openapi', openapi.mismatch({ method: request.method, path: request.path, status, body: json, hasBody: text !== '' }));
  }
  return { checked, violations, json };
};
