// What the fuzzer sends, as data: a plan names a route and, on each axis
// (token, path id, query, body, content type, headers, Idempotency-Key,
// framing), either the valid choice or a mutation of it. Plans are plain JSON
// so fast-check can print, shrink and replay them; values that only the
// running system knows (an existing item's id and version, the caller's own
// email, a real cursor) are placeholders `{"$fuzz": …}` filled in when the
// plan is sent (materialize.mjs). Each oneof lists the valid choice first:
// fast-check shrinks toward it, so a counterexample keeps only the mutations
// that matter.
import fc from 'fast-check';
import { anyText, arbitraryFor, integerBounds } from './schema-arbitrary.mjs';
import { BAD_KINDS } from './tokens.mjs';

/** A placeholder for a value the running system knows. */
export const FUZZ = '$fuzz';
/** @param {string} name @param {Record<string, unknown>} [extra] */
export const placeholder = (name, extra = {}) => ({ [FUZZ]: name, ...extra });

/** The handler's body limit (libs/handler-kit DEFAULT_MAX_BODY_BYTES) and the gateway's (API Gateway's 10 MB). */
export const HANDLER_MAX_BODY = 16 * 1024;
export const GATEWAY_MAX_BODY = 10 * 1024 * 1024;

const weighted = (weight, arbitrary) => ({ weight, arbitrary });

/** A name the handler accepts: 1–200 code units once trimmed. */
const nameArbitrary = () =>
  fc
    .oneof(
      weighted(6, anyText({ minLength: 1, maxLength: 40 })),
      weighted(
        1,
        fc.constantFrom(' padded name ', 'x'.repeat(200), `${'y'.repeat(200)}   `, 'é'.repeat(200), '😀'.repeat(100), '\u200bzero width', 'ﬀ', 'a\u0000b', '\ud800', 'Ω≈ç√'),
      ),
    )
    .filter((name) => typeof name === 'string' && name.trim().length >= 1 && name.trim().length <= 200);

/**
 * Knowledge of each route beyond its schema, for generating valid bodies: by operationId.
 * @type {Record<string, Record<string, import('fast-check').Arbitrary<unknown>>>}
 */
const BODY_OVERRIDES = {
  createItem: { name: nameArbitrary(), description: anyText({ maxLength: 60 }) },
  updateItem: {
    expectedVersion: fc.constant(placeholder('version')),
    name: nameArbitrary(),
    description: anyText({ maxLength: 60 }),
  },
  placeOrder: {
    itemId: fc.oneof(weighted(5, fc.nat(20).map((index) => placeholder('orderItem', { index }))), weighted(1, fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/))),
    customerEmail: fc.constantFrom(placeholder('email'), placeholder('emailUpper')),
  },
};

/** Extra rules a valid body of a route keeps (the handler's refinements). */
const BODY_FILTERS = {
  updateItem: (body) => ['name', 'description', 'priceCents', 'stock'].some((key) => key in body),
};

/** Values of the wrong type, or the right type out of range, for a property of `schema`. */
const wrongValues = (schema) => {
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
        "'; DROP TABLE items; --",
        '<script>alert(1)</script>',
        '../../etc/passwd',
        '%s%s%n',
        '{{7*7}}',
        'ITEM#x',
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
 * @param {Record<string, any>} schema
 */
const bodyMutation = (schema) => {
  const properties = Object.keys(schema.properties ?? {});
  const field = properties.length > 0 ? fc.constantFrom(...properties) : fc.constant('field');
  const byField = properties.length > 0 ? fc.constantFrom(...properties).chain((name) => fc.record({ op: fc.constant('set'), field: fc.constant(name), value: wrongValues(schema.properties[name]) })) : fc.constant({ op: 'set', field: 'field', value: 1 });
  const extraKey = fc.oneof(
    fc.constantFrom('id', 'version', 'createdAt', 'updatedAt', 'customerId', 'status', 'reason', 'isAdmin', 'scope', 'pk', 'Name', '', ' name', 'name '),
    fc.string({ maxLength: 10 }),
  );
  return fc.oneof(
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
  );
};

/**
 * The body axis of a route with a request body: valid (generated from the schema), or mutated.
 * @param {import('./openapi.mjs').Operation} operation
 */
const bodyAxis = (operation) => {
  const schema = operation.bodySchema ?? {};
  const overrides = BODY_OVERRIDES[operation.operationId] ?? {};
  const filter = BODY_FILTERS[operation.operationId] ?? (() => true);
  const valid = arbitraryFor(schema, overrides).filter((body) => body !== null && typeof body === 'object' && filter(body));
  return fc.record({
    value: valid,
    mutations: fc.oneof(
      weighted(500, fc.constant([])),
      weighted(600, fc.array(bodyMutation(schema), { minLength: 1, maxLength: 1 })),
      weighted(100, fc.array(bodyMutation(schema), { minLength: 2, maxLength: 3 })),
      // Over the gateway's 10 MB, rarely (about 1 in 200 plans of a route with a body): each one is 10 MB on the wire.
      weighted(6, fc.constant([{ op: 'huge', bytes: GATEWAY_MAX_BODY + 1 }])),
    ),
  });
};

/** A body sent where the route takes none: ignored by the handler. */
const strayBodyAxis = () =>
  fc.oneof(
    weighted(12, fc.constant(undefined)),
    weighted(1, fc.record({ value: fc.jsonValue({ maxDepth: 2 }), mutations: fc.constant([]) })),
    weighted(1, fc.record({ value: fc.constant({}), mutations: fc.constant([{ op: 'body', text: 'not json at all' }]) })),
  );

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

const headersAxis = () =>
  fc.oneof(
    weighted(40, fc.constant([])),
    weighted(10, fc.subarray(EXTRA_HEADERS.map((_, index) => index).filter((index) => index !== HUGE_HEADER), { minLength: 1, maxLength: 4 })),
    weighted(1, fc.constant([HUGE_HEADER])),
  );

/** Path ids: an existing one, a well-formed absent one, or odd ones. */
const ODD_SEGMENTS = [
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
  'ITEM%23x',
  'x'.repeat(65),
  'x'.repeat(3000),
  '%41'.repeat(64),
];

const encodeSafely = (text) => {
  try {
    return encodeURIComponent(text);
  } catch {
    return 'x';
  }
};

const oddSegment = () =>
  fc.oneof(
    weighted(4, fc.constantFrom(...ODD_SEGMENTS)),
    weighted(1, fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }).map(encodeSafely)),
    weighted(1, fc.stringMatching(/^[A-Za-z0-9_-]{65,80}$/)),
  );

export const UNROUTABLE_SHAPES = ['trailingSlash', 'doubleSlash', 'extraSegment', 'empty', 'leadingDoubleSlash', 'upperCase', 'dotSegment', 'parentSegment'];

const idAxis = (operation) => {
  const orders = operation.path.startsWith('/orders');
  const pattern = new RegExp(operation.parameters.find((parameter) => parameter.in === 'path')?.schema?.pattern ?? '^[A-Za-z0-9_-]{1,64}$');
  const index = fc.nat(40);
  const common = [
    weighted(20, fc.record({ kind: fc.constant('absent'), id: fc.stringMatching(pattern) })),
    weighted(40, fc.record({ kind: fc.constant('odd'), segment: oddSegment() })),
    weighted(20, fc.record({ kind: fc.constant('unroutable'), shape: fc.constantFrom(...UNROUTABLE_SHAPES), index })),
    // Raw bytes above 0x7f in the request line (not percent-encoded).
    weighted(3, fc.record({ kind: fc.constant('rawBytes'), segment: fc.constantFrom('caf\u00e9', '\u00ff\u00fe', '\u0080') })),
  ];
  if (orders) {
    return fc.oneof(
      weighted(100, fc.record({ kind: fc.constant('mine'), index })),
      weighted(30, fc.record({ kind: fc.constant('others'), index })),
      weighted(10, fc.record({ kind: fc.constant('item'), index })),
      weighted(10, fc.record({ kind: fc.constant('encodedMine'), index })),
      ...common,
    );
  }
  return fc.oneof(
    weighted(100, fc.record({ kind: fc.constant('pool'), index })),
    ...(operation.method === 'GET' ? [weighted(20, fc.record({ kind: fc.constant('orderItem'), index }))] : []),
    weighted(20, fc.record({ kind: fc.constant('deleted'), index })),
    weighted(10, fc.record({ kind: fc.constant('encodedPool'), index })),
    ...common,
  );
};

/** Query strings of GET /items-like routes (`limit`, `cursor`), or noise for routes without a query. */
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

const queryAxis = (operation) => {
  const takesQuery = operation.parameters.some((parameter) => parameter.in === 'query');
  if (!takesQuery) {
    return fc.oneof(weighted(10, fc.constant({ kind: 'none' })), weighted(1, fc.record({ kind: fc.constant('pieces'), pieces: fc.array(fc.constantFrom(...QUERY_PIECES), { minLength: 1, maxLength: 3 }) })));
  }
  return fc.oneof(
    weighted(
      8,
      fc.record({
        kind: fc.constant('valid'),
        limit: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
        cursor: fc.boolean(),
      }),
    ),
    weighted(2, fc.constant({ kind: 'none' })),
    weighted(6, fc.record({ kind: fc.constant('pieces'), pieces: fc.array(fc.constantFrom(...QUERY_PIECES), { minLength: 1, maxLength: 4 }) })),
    weighted(1, fc.record({ kind: fc.constant('random'), text: fc.string({ unit: 'binary', maxLength: 30 }).map(encodeSafely) })),
  );
};

/** The token: a good one for the route (or any good one), or a bad one. */
const authAxis = (operation) => {
  const good = operation.scopes === undefined ? ['ada', 'staff'] : operation.scopes.length > 0 ? ['staff'] : ['ada', 'bob', 'adaUpper', 'staff'];
  const wrongButValid = operation.scopes === undefined ? [] : operation.scopes.length > 0 ? ['ada', 'otherScope', 'noEmail'] : ['noEmail', 'badEmail', 'otherScope'];
  return fc.record({
    kind: fc.oneof(
      weighted(operation.scopes === undefined ? 4 : 14, fc.constantFrom(...good)),
      ...(operation.scopes === undefined ? [weighted(6, fc.constant('missing'))] : []),
      ...(wrongButValid.length > 0 ? [weighted(2, fc.constantFrom(...wrongButValid))] : []),
      weighted(3, fc.constantFrom(...BAD_KINDS)),
    ),
    // A second Authorization header: Node keeps the first for the authorizer; the function sees both.
    duplicate: fc.oneof(weighted(15, fc.constant(undefined)), weighted(1, fc.constantFrom('staff', 'malformed', 'expired'))),
  });
};

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

/** Usually the route's method; sometimes one the path does not have, or a CORS preflight. */
const methodAxis = (operation) =>
  fc.oneof(
    weighted(40, fc.constant(undefined)),
    weighted(1, fc.constantFrom('PUT', 'HEAD', 'OPTIONS', 'TRACE', 'GET', 'POST', 'PATCH', 'DELETE', 'PROPFIND', 'MKCOL')),
    weighted(1, fc.record({ preflight: fc.constant(operation.method) })),
  );

/**
 * Every plan for one operation.
 * @param {import('./openapi.mjs').Operation} operation
 */
export const planFor = (operation) => {
  const hasBody = operation.bodySchema !== undefined;
  const hasId = operation.path.includes('{');
  const takesKey = operation.parameters.some((parameter) => parameter.in === 'header' && parameter.name.toLowerCase() === 'idempotency-key');
  return fc.record({
    route: fc.constant(operation.operationId),
    method: methodAxis(operation),
    auth: authAxis(operation),
    id: hasId ? idAxis(operation) : fc.constant(undefined),
    query: queryAxis(operation),
    body: hasBody ? bodyAxis(operation) : strayBodyAxis(),
    contentType: contentTypeAxis(hasBody),
    headers: headersAxis(),
    idempotencyKey: takesKey ? idempotencyAxis() : fc.constant(undefined),
    chunked: fc.oneof(weighted(6, fc.constant(false)), weighted(1, fc.constant(true))),
  });
};

/**
 * Plans over every operation of the document, evenly.
 * @param {import('./openapi.mjs').Operation[]} operations
 */
export const planArbitrary = (operations) => fc.oneof(...operations.map((operation) => planFor(operation)));

