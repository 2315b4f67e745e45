// What the fuzzer sends, as data: a plan names a route and, on each axis
// (token, path id, query, body, content type, headers, Idempotency-Key,
// framing), either the valid choice or a mutation of it. Plans are plain JSON
// so fast-check can print, shrink and replay them; values that only the
// running system knows (an existing entity's id and version, the caller's own
// email, a real cursor) are placeholders `{"$fuzz": …}` filled in when the
// plan is sent (materialize.mjs). Each oneof lists the valid choice first:
// fast-check shrinks toward it, so a counterexample keeps only the mutations
// that matter. What only the domain knows (which callers a route is for, the
// kinds of existing ids, bodies beyond their schema) comes from the
// scenario's `plans` (PlanHooks).
import fc from 'fast-check';
import { anyText, arbitraryFor, integerBounds } from './schema-arbitrary.mjs';
import { BAD_KINDS } from './tokens.mjs';

/**
 * @typedef {import('./openapi.mjs').Operation} Operation
 *
 * @typedef {object} PlanHooks  what the scenario knows of its routes beyond their schemas
 * @property {(operation: Operation) => { good: string[], wrongButValid: string[] }} auth
 *   the callers (token kind names) a plan of the route mostly uses, and valid ones it uses now and then
 * @property {(operation: Operation) => Array<[number, string]>} idKinds
 *   weighted kinds of existing ids for a route with a path id (materialized by the scenario's `materialize.id`)
 * @property {Record<string, Record<string, import('fast-check').Arbitrary<unknown>>>} [bodyOverrides]
 *   by operationId, then by property path: where the handler asks more than the schema says, or a value only the system knows
 * @property {Record<string, (body: Record<string, unknown>) => boolean>} [bodyFilters]  by operationId: rules a valid body keeps
 * @property {string[]} [hostileStrings]  wrong string values worth sending beside the generic ones (e.g. a key prefix)
 * @property {string[]} [extraKeys]  property names a client should not be able to set, beside the generic ones (id, version…)
 * @property {string[]} [oddSegments]  path segments worth sending as an id beside the generic ones
 *
 * @typedef {{ op: 'missing', field: string } | { op: 'set', field: string, value: unknown } | { op: 'raw', field: string, token: string }
 *   | { op: 'bytes', field: string, hex: string } | { op: 'nest', field: string | null, kind: 'array' | 'object', depth: number, balanced: boolean }
 *   | { op: 'body', text: string } | { op: 'wrap', how: 'array' | 'string' | 'object' } | { op: 'syntax', how: string, at: number }
 *   | { op: 'pad', to: number } | { op: 'none' } | { op: 'empty' } | { op: 'huge', bytes: number }} Mutation
 * @typedef {{ value: unknown, mutations: Mutation[] }} BodyChoice
 * @typedef {{ kind: string, index?: number, id?: string, segment?: string, shape?: string }} IdChoice
 * @typedef {{ kind: 'none' } | { kind: 'valid', limit?: number, cursor: boolean } | { kind: 'pieces', pieces: string[] } | { kind: 'random', text: string }} QueryChoice
 * @typedef {{ kind: string, key?: string, index?: number, value?: string }} KeyChoice
 *
 * @typedef {object} Plan
 * @property {string} route  the operationId
 * @property {string | { preflight: string } | undefined} method  undefined: the route's own
 * @property {{ kind: string, duplicate?: string }} auth
 * @property {IdChoice | undefined} id
 * @property {QueryChoice} query
 * @property {BodyChoice | undefined} body
 * @property {string} contentType  a key of CONTENT_TYPES, 'none' or 'duplicate'
 * @property {number[]} headers  indexes into EXTRA_HEADERS
 * @property {KeyChoice | undefined} idempotencyKey
 * @property {boolean} chunked
 */

/** A placeholder for a value the running system knows. */
export const FUZZ = '$fuzz';
/** @param {string} name @param {Record<string, unknown>} [extra] */
export const placeholder = (name, extra = {}) => ({ [FUZZ]: name, ...extra });

/** The handler's body limit (libs/handler-kit DEFAULT_MAX_BODY_BYTES) and the gateway's (API Gateway's 10 MB). */
export const HANDLER_MAX_BODY = 16 * 1024;
export const GATEWAY_MAX_BODY = 10 * 1024 * 1024;

/**
 * A oneof branch with its weight.
 * @template T @param {number} weight @param {import('fast-check').Arbitrary<T>} arbitrary
 */
export const weighted = (weight, arbitrary) => ({ weight, arbitrary });

/**
 * Values of the wrong type, or the right type out of range, for a property of `schema`.
 * @param {Record<string, any>} schema @param {string[]} hostile
 * @returns {import('fast-check').Arbitrary<unknown>}
 */
const wrongValues = (schema, hostile) => {
  const generic = fc.oneof(
    fc.constantFrom(null, true, false, [], {}, '', '12', 0, -1, 1.5, [1], { value: 1 }),
    fc.jsonValue({ maxDepth: 2 }),
  );
  if (schema.type === 'integer') {
    const { min, max } = integerBounds(schema);
    return fc.oneof(
      fc.constantFrom(min - 1, max + 1, min, max, 0.5, min + 0.1, -0, 2 ** 53 + 2, -(2 ** 31), 1e21, '1', `${max}`, true, null, [min]),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      generic,
    );
  }
  if (schema.type === 'string') {
    const maxLength = schema.maxLength ?? 256;
    return fc.oneof(
      fc.constantFrom(
        '',
        ' ',
        '\t\n\r ',
        '\u00a0\u2028\ufeff',
        placeholder('repeat', { text: 'x', count: maxLength }),
        placeholder('repeat', { text: 'x', count: maxLength + 1 }),
        placeholder('repeat', { text: '😀', count: Math.floor(maxLength / 2) }),
        placeholder('repeat', { text: '😀', count: Math.floor(maxLength / 2) + 1 }),
        '\ud800',
        '\udfff\ud800',
        '\u0000',
        'a\u0000b',
        '\u202eRTL',
        "'; DROP TABLE t; --",
        '<script>alert(1)</script>',
        '../../etc/passwd',
        '%s%s%n',
        '{{7*7}}',
        ...hostile,
        0,
        12,
        -1,
        true,
        [],
        ['a'],
        { toString: 'x' },
      ),
      anyText({ maxLength: 30 }),
      generic,
    );
  }
  return generic;
};

/** Raw JSON text put where a property's value goes (the text is not JSON.stringify'd). */
const RAW_TOKENS = [
  'NaN',
  'Infinity',
  '-Infinity',
  '1e400',
  '-1e400',
  '1e-400',
  '-0',
  '0.0',
  '1E2',
  '1.0',
  '+1',
  '01',
  '1.',
  '.5',
  '0x10',
  '1_000',
  '9007199254740993',
  '123456789012345678901234567890',
  'undefined',
  'True',
  'nul',
  "'single'",
  '"unterminated',
  '"\\x41"',
  '"\\ud800"',
  '"\\udc00\\ud800"',
  '"\\ud83d"',
  '"\\u0000"',
  '"a\\u0000b"',
  '"\\/\\b\\f"',
  '[]',
  '{}',
];

/** Bytes put inside a property's string value, between two letters, as hex. */
const STRING_BYTES = ['ff', 'fe', 'c328', 'c0af', 'e282', 'eda080', 'edbfbf', 'f4908080', 'f8a1a1a1a1', '00', '01', '0a', '1f', '7f', 'efbbbf', 'e280a8', 'c2a0'];

/**
 * Mutations of a body of `schema`, as data applied when the plan is sent.
 * @param {Record<string, any>} schema @param {PlanHooks} hooks
 * @returns {import('fast-check').Arbitrary<Mutation>}
 */
const bodyMutation = (schema, hooks) => {
  const properties = Object.keys(schema.properties ?? {});
  const field = properties.length > 0 ? fc.constantFrom(...properties) : fc.constant('field');
  const byField = properties.length > 0 ? fc.constantFrom(...properties).chain((name) => fc.record({ op: fc.constant('set'), field: fc.constant(name), value: wrongValues(schema.properties[name], hooks.hostileStrings ?? []) })) : fc.constant({ op: 'set', field: 'field', value: 1 });
  const extraKey = fc.oneof(
    fc.constantFrom('id', 'version', 'createdAt', 'updatedAt', ...(hooks.extraKeys ?? []), 'isAdmin', 'scope', 'pk', 'Name', '', ' name', 'name '),
    fc.string({ maxLength: 10 }),
  );
  return /** @type {import('fast-check').Arbitrary<Mutation>} */ (fc.oneof(
    weighted(3, fc.record({ op: fc.constant('missing'), field })),
    weighted(2, fc.record({ op: fc.constant('set'), field, value: fc.constant(null) })),
    weighted(6, byField),
    weighted(3, fc.record({ op: fc.constant('set'), field: extraKey, value: fc.jsonValue({ maxDepth: 2 }) })),
    weighted(
      3,
      fc.record({
        op: fc.constant('set'),
        field: fc.constantFrom('__proto__', 'constructor', 'prototype'),
        value: fc.constantFrom({ polluted: true }, { prototype: { polluted: true } }, { isAdmin: true, toString: 1 }, null, 'x', []),
      }),
    ),
    weighted(4, fc.record({ op: fc.constant('raw'), field, token: fc.constantFrom(...RAW_TOKENS) })),
    weighted(4, fc.record({ op: fc.constant('bytes'), field, hex: fc.constantFrom(...STRING_BYTES) })),
    weighted(
      2,
      fc.record({
        op: fc.constant('nest'),
        field: fc.option(field, { nil: null }),
        kind: fc.constantFrom('array', 'object'),
        depth: fc.oneof(fc.constantFrom(2, 64, 1000, 5000), fc.integer({ min: 1, max: 6000 })),
        balanced: fc.boolean(),
      }),
    ),
    weighted(
      3,
      fc.record({
        op: fc.constant('body'),
        text: fc.constantFrom('null', '[]', '{}', '""', '"{}"', '0', '-1', '1e400', 'true', 'false', '"text"', '   ', '\n', '[null]', '[[[]]]', '{"":""}', 'NaN', 'Infinity', 'undefined'),
      }),
    ),
    weighted(2, fc.record({ op: fc.constant('wrap'), how: fc.constantFrom('array', 'string', 'object') })),
    weighted(
      3,
      fc.record({
        op: fc.constant('syntax'),
        how: fc.constantFrom('truncate', 'trailingComma', 'trailingGarbage', 'comment', 'singleQuotes', 'bom', 'whitespace', 'base64', 'utf16le', 'latin1', 'duplicateKey', 'nulByte', 'unquotedKey'),
        at: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
    ),
    weighted(2, fc.record({ op: fc.constant('pad'), to: fc.constantFrom(HANDLER_MAX_BODY - 1, HANDLER_MAX_BODY, HANDLER_MAX_BODY + 1, HANDLER_MAX_BODY * 2) })),
    // No body at all (API Gateway's `body: null`), or an empty one.
    weighted(2, fc.record({ op: fc.constant('none') })),
    weighted(2, fc.record({ op: fc.constant('empty') })),
  ));
};

/**
 * The body axis of a route with a request body: valid (generated from the schema), or mutated.
 * @param {Operation} operation @param {PlanHooks} hooks
 * @returns {import('fast-check').Arbitrary<BodyChoice>}
 */
const bodyAxis = (operation, hooks) => {
  const schema = operation.bodySchema ?? {};
  const overrides = hooks.bodyOverrides?.[operation.operationId] ?? {};
  const filter = hooks.bodyFilters?.[operation.operationId] ?? (() => true);
  const valid = arbitraryFor(schema, overrides).filter((body) => body !== null && typeof body === 'object' && filter(/** @type {Record<string, unknown>} */ (body)));
  /** @type {Mutation[]} */
  const huge = [{ op: 'huge', bytes: GATEWAY_MAX_BODY + 1 }];
  return fc.record({
    value: valid,
    mutations: fc.oneof(
      weighted(500, fc.constant(/** @type {Mutation[]} */ ([]))),
      weighted(600, fc.array(bodyMutation(schema, hooks), { minLength: 1, maxLength: 1 })),
      weighted(100, fc.array(bodyMutation(schema, hooks), { minLength: 2, maxLength: 3 })),
      // Over the gateway's 10 MB, rarely (about 1 in 200 plans of a route with a body): each one is 10 MB on the wire.
      weighted(6, fc.constant(huge)),
    ),
  });
};

/**
 * A body sent where the route takes none: ignored by the handler.
 * @returns {import('fast-check').Arbitrary<BodyChoice | undefined>}
 */
const strayBodyAxis = () =>
  fc.oneof(
    weighted(12, fc.constant(undefined)),
    weighted(1, fc.record({ value: fc.jsonValue({ maxDepth: 2 }), mutations: fc.constant(/** @type {Mutation[]} */ ([])) })),
    weighted(1, fc.record({ value: fc.constant({}), mutations: fc.constant(/** @type {Mutation[]} */ ([{ op: 'body', text: 'not json at all' }])) })),
  );

/** @type {Record<string, string>} */
export const CONTENT_TYPES = {
  json: 'application/json',
  jsonCharset: 'application/json; charset=utf-8',
  upper: 'APPLICATION/JSON',
  vendor: 'application/vnd.api+json',
  utf16: 'application/json; charset=utf-16',
  text: 'text/plain',
  xml: 'application/xml',
  form: 'application/x-www-form-urlencoded',
  multipart: 'multipart/form-data; boundary=fuzz',
  octet: 'application/octet-stream',
  empty: '',
  garbage: ';;; =',
};

/** @param {boolean} hasBody @returns {import('fast-check').Arbitrary<string>} */
const contentTypeAxis = (hasBody) =>
  fc.oneof(
    weighted(12, fc.constant(hasBody ? 'json' : 'none')),
    weighted(4, fc.constantFrom('none', ...Object.keys(CONTENT_TYPES))),
    weighted(1, fc.constant('duplicate')),
  );

/** Headers beside the route's own: odd, duplicated, huge. */
export const EXTRA_HEADERS = [
  ['x-forwarded-for', '203.0.113.9, 10.0.0.1'],
  ['origin', 'https://evil.example.com'],
  ['x-amzn-trace-id', 'Root=1-00000000-000000000000000000000000'],
  ['apigw-requestid', 'forged-request-id'],
  ['cookie', 'session=abc; theme=dark'],
  ['cookie', ';;'],
  ['accept', 'application/xml'],
  ['accept-encoding', 'gzip, br'],
  ['content-encoding', 'gzip'],
  ['x-http-method-override', 'DELETE'],
  ['user-agent', ''],
  ['x-api-key', 'fuzz'],
  ['x-duplicate', 'one'],
  ['x-duplicate', 'two'],
  ['constructor', 'x'],
  ['__proto__', 'x'],
  ['x-big', 'b'.repeat(4000)],
];

/** Over the 16 KiB of headers Node's HTTP parser accepts: refused before the gateway sees it. */
const HUGE_HEADER = EXTRA_HEADERS.length;
EXTRA_HEADERS.push(['x-huge', 'h'.repeat(17_000)]);

/** @returns {import('fast-check').Arbitrary<number[]>} */
const headersAxis = () =>
  fc.oneof(
    weighted(40, fc.constant(/** @type {number[]} */ ([]))),
    weighted(10, fc.subarray(EXTRA_HEADERS.map((_, index) => index).filter((index) => index !== HUGE_HEADER), { minLength: 1, maxLength: 4 })),
    weighted(1, fc.constant(/** @type {number[]} */ ([HUGE_HEADER]))),
  );

/** Path ids: an existing one, a well-formed absent one, or odd ones. */
const oddSegments = (/** @type {string[]} */ extra) => [
  '..',
  '.',
  '%2e%2e',
  '%2E%2E',
  '%2e',
  '.%2e',
  'a%2Fb',
  '%2F',
  '%2F%2F',
  '..%2F..%2Fetc%2Fpasswd',
  '%5C..%5C',
  '%00',
  'a%00b',
  '%ff',
  '%fe%ff',
  '%',
  '%zz',
  '%%',
  '%C3%A9',
  '%F0%9F%98%80',
  '%E2%80%AE',
  '%EF%BB%BF',
  '%ED%A0%80',
  '%20',
  '+',
  '~',
  '*',
  "'",
  '"',
  '<script>',
  'a;b',
  'a,b',
  'a#b',
  '%3F',
  '%23',
  '$',
  '@',
  ':',
  '-',
  '_',
  'null',
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  '0',
  '-1',
  ...extra,
  'x'.repeat(65),
  'x'.repeat(3000),
  '%41'.repeat(64),
];

/** @param {string} text */
const encodeSafely = (text) => {
  try {
    return encodeURIComponent(text);
  } catch {
    return 'x';
  }
};

/** @param {string[]} extra */
const oddSegment = (extra) =>
  fc.oneof(
    weighted(4, fc.constantFrom(...oddSegments(extra))),
    weighted(1, fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }).map(encodeSafely)),
    weighted(1, fc.stringMatching(/^[A-Za-z0-9_-]{65,80}$/)),
  );

export const UNROUTABLE_SHAPES = ['trailingSlash', 'doubleSlash', 'extraSegment', 'empty', 'leadingDoubleSlash', 'upperCase', 'dotSegment', 'parentSegment'];

/**
 * @param {Operation} operation @param {PlanHooks} hooks
 * @returns {import('fast-check').Arbitrary<IdChoice>}
 */
const idAxis = (operation, hooks) => {
  const pattern = new RegExp(operation.parameters.find((parameter) => parameter.in === 'path')?.schema?.pattern ?? '^[A-Za-z0-9_-]{1,64}$');
  const index = fc.nat(40);
  /** @type {Array<{ weight: number, arbitrary: import('fast-check').Arbitrary<IdChoice> }>} */
  const common = [
    weighted(20, fc.record({ kind: fc.constant('absent'), id: fc.stringMatching(pattern) })),
    weighted(40, fc.record({ kind: fc.constant('odd'), segment: oddSegment(hooks.oddSegments ?? []) })),
    weighted(20, fc.record({ kind: fc.constant('unroutable'), shape: fc.constantFrom(...UNROUTABLE_SHAPES), index })),
    // Raw bytes above 0x7f in the request line (not percent-encoded).
    weighted(3, fc.record({ kind: fc.constant('rawBytes'), segment: fc.constantFrom('caf\u00e9', '\u00ff\u00fe', '\u0080') })),
  ];
  // The ids of existing things, as the scenario knows them (its own, someone else's, deleted…).
  return fc.oneof(...hooks.idKinds(operation).map(([weight, kind]) => weighted(weight, fc.record({ kind: fc.constant(kind), index }))), ...common);
};

/** Query strings of paginated listings (`limit`, `cursor`), or noise for routes without a query. */
const QUERY_PIECES = [
  'limit=',
  'limit=0',
  'limit=1',
  'limit=100',
  'limit=101',
  'limit=-1',
  'limit=1.5',
  'limit=abc',
  'limit=99999999999999999999',
  'limit=1e2',
  'limit=0x10',
  'limit=%20%205%20',
  'limit=5%00',
  'limit=%E2%80%8B5',
  'limit',
  'LIMIT=5',
  'limit[]=5',
  'limit=5;cursor=x',
  'cursor=',
  'cursor=abc',
  'cursor=a.b',
  'cursor=.',
  'cursor=..',
  'cursor=%zz',
  `cursor=${'a'.repeat(2000)}`,
  'cursor={real}',
  'cursor={tamperedPayload}',
  'cursor={tamperedSignature}',
  'cursor={extraPart}',
  'cursor={payloadOnly}',
  'cursor={real}x',
  'foo=bar',
  '%zz=1',
  '=',
  '&',
  '__proto__=1',
  'constructor=1',
  'a=%F0%9F%98%80',
  'a+b=c+d',
];

/**
 * The bounds of a listing's `limit` parameter, from its schema.
 * @param {Operation} operation
 */
export const limitBounds = (operation) => {
  const schema = operation.parameters.find((parameter) => parameter.in === 'query' && parameter.name === 'limit')?.schema ?? {};
  return { min: schema.minimum ?? 1, max: schema.maximum ?? 100 };
};

/**
 * @param {Operation} operation
 * @returns {import('fast-check').Arbitrary<QueryChoice>}
 */
const queryAxis = (operation) => {
  const takesQuery = operation.parameters.some((parameter) => parameter.in === 'query');
  /** @type {QueryChoice} */
  const none = { kind: 'none' };
  if (!takesQuery) {
    return fc.oneof(weighted(10, fc.constant(none)), weighted(1, fc.record({ kind: fc.constant(/** @type {const} */ ('pieces')), pieces: fc.array(fc.constantFrom(...QUERY_PIECES), { minLength: 1, maxLength: 3 }) })));
  }
  return fc.oneof(
    weighted(
      8,
      fc.record({
        kind: fc.constant(/** @type {const} */ ('valid')),
        limit: fc.option(fc.integer(limitBounds(operation)), { nil: undefined }),
        cursor: fc.boolean(),
      }),
    ),
    weighted(2, fc.constant(none)),
    weighted(6, fc.record({ kind: fc.constant(/** @type {const} */ ('pieces')), pieces: fc.array(fc.constantFrom(...QUERY_PIECES), { minLength: 1, maxLength: 4 }) })),
    weighted(1, fc.record({ kind: fc.constant(/** @type {const} */ ('random')), text: fc.string({ unit: 'binary', maxLength: 30 }).map(encodeSafely) })),
  );
};

/**
 * The token: a good one for the route (or any good one), or a bad one.
 * @param {Operation} operation @param {PlanHooks} hooks @param {string} privileged
 * @returns {import('fast-check').Arbitrary<{ kind: string, duplicate?: string }>}
 */
const authAxis = (operation, hooks, privileged) => {
  const { good, wrongButValid } = hooks.auth(operation);
  return fc.record({
    kind: fc.oneof(
      weighted(operation.scopes === undefined ? 4 : 14, fc.constantFrom(...good)),
      ...(operation.scopes === undefined ? [weighted(6, fc.constant('missing'))] : []),
      ...(wrongButValid.length > 0 ? [weighted(2, fc.constantFrom(...wrongButValid))] : []),
      weighted(3, fc.constantFrom(...BAD_KINDS)),
    ),
    // A second Authorization header: Node keeps the first for the authorizer; the function sees both.
    duplicate: fc.oneof(weighted(15, fc.constant(undefined)), weighted(1, fc.constantFrom(privileged, 'malformed', 'expired'))),
  });
};

/** @returns {import('fast-check').Arbitrary<KeyChoice>} */
const idempotencyAxis = () =>
  fc.oneof(
    weighted(4, fc.constant({ kind: 'none' })),
    weighted(6, fc.record({ kind: fc.constant('fresh'), key: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,100}$/) })),
    weighted(3, fc.record({ kind: fc.constant('replay'), index: fc.nat(40) })),
    weighted(2, fc.record({ kind: fc.constant('reuse'), index: fc.nat(40) })),
    weighted(
      2,
      fc.record({
        kind: fc.constant('bad'),
        value: fc.constantFrom('', ' ', 'has space', 'a/b', 'ü', 'k'.repeat(129), 'a,b', '\t', '"quoted"', '%41', 'key;x'),
      }),
    ),
    weighted(1, fc.record({ kind: fc.constant('duplicate'), key: fc.stringMatching(/^[A-Za-z0-9]{1,20}$/) })),
  );

/**
 * Usually the route's method; sometimes one the path does not have, or a CORS preflight.
 * @param {Operation} operation @returns {import('fast-check').Arbitrary<Plan['method']>}
 */
const methodAxis = (operation) =>
  fc.oneof(
    weighted(40, fc.constant(undefined)),
    weighted(1, fc.constantFrom('PUT', 'HEAD', 'OPTIONS', 'TRACE', 'GET', 'POST', 'PATCH', 'DELETE', 'PROPFIND', 'MKCOL')),
    weighted(1, fc.record({ preflight: fc.constant(operation.method) })),
  );

/**
 * Every plan for one operation.
 * @param {Operation} operation @param {{ plans: PlanHooks, tokens: { privileged: string } }} scenario
 * @returns {import('fast-check').Arbitrary<Plan>}
 */
export const planFor = (operation, { plans: hooks, tokens }) => {
  const hasBody = operation.bodySchema !== undefined;
  const hasId = operation.path.includes('{');
  const takesKey = operation.parameters.some((parameter) => parameter.in === 'header' && parameter.name.toLowerCase() === 'idempotency-key');
  return fc.record({
    route: fc.constant(operation.operationId),
    method: methodAxis(operation),
    auth: authAxis(operation, hooks, tokens.privileged),
    id: hasId ? idAxis(operation, hooks) : fc.constant(undefined),
    query: queryAxis(operation),
    body: hasBody ? bodyAxis(operation, hooks) : strayBodyAxis(),
    contentType: contentTypeAxis(hasBody),
    headers: headersAxis(),
    idempotencyKey: takesKey ? idempotencyAxis() : fc.constant(undefined),
    chunked: fc.oneof(weighted(6, fc.constant(false)), weighted(1, fc.constant(true))),
  });
};

/**
 * Plans over every operation of the document, evenly.
 * @param {Operation[]} operations @param {{ plans: PlanHooks, tokens: { privileged: string } }} scenario
 * @returns {import('fast-check').Arbitrary<Plan>}
 */
export const planArbitrary = (operations, scenario) => fc.oneof(...operations.map((operation) => planFor(operation, scenario)));

