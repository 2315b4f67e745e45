// Turns a plan (plans.mjs) into the bytes of one HTTP request, filling the
// placeholders (an existing entity's id and version, a real cursor, the
// caller's email: from the scenario, which knows its model) and applying the
// body's mutations.
import { CONTENT_TYPES, EXTRA_HEADERS, FUZZ } from './plans.mjs';

/**
 * @typedef {import('./plans.mjs').Plan} Plan
 * @typedef {import('./plans.mjs').BodyChoice} BodyChoice
 * @typedef {import('./plans.mjs').Mutation} Mutation
 * @typedef {import('./tokens.mjs').TokenKind} TokenKind
 * @typedef {import('./openapi.mjs').Operation} Operation
 *
 * @typedef {object} Ctx  what the oracle and the model need to know about a request
 * @property {string} route
 * @property {string} authKind  the token kind the authorizer sees
 * @property {TokenKind} caller
 * @property {boolean} rawBytesPath
 * @property {string | undefined} targetId  the existing entity a write aims at, when the scenario says so
 * @property {string | undefined} idempotencyKey
 * @property {KeyRecord | undefined} replayOf  the earlier request whose key a replay repeats
 * @property {number} bodyBytes
 *
 * @typedef {object} Sent
 * @property {import('./http-client.mjs').RawRequest} request
 * @property {Ctx} ctx
 *
 * @typedef {object} KeyRecord  an Idempotency-Key the system has seen, as the scenario's model knows it
 * @property {string} key
 * @property {Record<string, unknown>} replay  the body fields a replay sends again
 *
 * @typedef {object} IdEnv  what the scenario's id hooks get
 * @property {any} model
 * @property {string} subject  the caller's subject ('anonymous' without a token)
 * @property {number} index  the plan's pick among the candidates
 *
 * @typedef {object} MaterializeHooks  the scenario's part in filling a plan in
 * @property {(kind: string, env: IdEnv) => { segment: string, targetId?: string } | undefined} id
 *   the path segment of an id kind the scenario declared (plans.idKinds); targetId: the entity it names, for the `version`-like placeholders
 * @property {(route: string, env: IdEnv) => string} someId  an existing id of the route's kind, for the unroutable paths
 * @property {Record<string, (node: Record<string, any>, env: { model: any, caller: TokenKind, targetId?: string }) => unknown>} [placeholders]
 *   the values of the scenario's placeholders, by name (`repeat` is the engine's own)
 * @property {(model: any, subject: string) => KeyRecord[]} [keysOf]  the caller's Idempotency-Keys the system has answered
 * @property {(model: any) => string[]} [cursors]  real cursors the API made (newest last)
 *
 * @typedef {object} MaterializeEnv
 * @property {Map<string, Operation>} operations
 * @property {any} model
 * @property {{ authorization: (kind: string) => Promise<string | undefined> }} tokens
 * @property {(name: string) => TokenKind} kindOf
 * @property {string} nonce
 * @property {MaterializeHooks} hooks
 */

/** @param {number} n */
const MARKER = (n) => `@@fuzz-marker-${n}@@`;

/** Sets an own property, even `__proto__`. @param {object} target @param {string} key @param {unknown} value */
const setOwn = (target, key, value) => Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });

/** @param {unknown} value @returns {value is Record<string, any>} */
const isPlainObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Every char percent-encoded: the same id, spelled differently. @param {string} text */
export const encodeEvery = (text) => [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');

/**
 * The `index`th of `list`, round: undefined for an empty list.
 * @template T @param {readonly T[]} list @param {number} index @returns {T | undefined}
 */
export const pickFrom = (list, index) => (list.length === 0 ? undefined : list[index % list.length]);

/** The cursor variants a query piece names, from a real cursor. @param {string} name @param {string} real */
const cursorVariant = (name, real) => {
  const [payload = 'eyJ4IjoxfQ', signature = 'AAAA'] = real.split('.');
  switch (name) {
    case 'real':
      return real;
    case 'tamperedPayload':
      return `${payload[0] === 'e' ? 'f' : 'e'}${payload.slice(1)}.${signature}`;
    case 'tamperedSignature': {
      const at = Math.floor(signature.length / 2);
      return `${payload}.${signature.slice(0, at)}${signature[at] === 'A' ? 'B' : 'A'}${signature.slice(at + 1)}`;
    }
    case 'extraPart':
      return `${real}.x`;
    case 'payloadOnly':
      return payload;
    default:
      return real;
  }
};

/**
 * @param {Plan} plan @param {MaterializeEnv} env
 * @returns {Promise<Sent>}
 */
export const materialize = async (plan, { operations, model, tokens, kindOf, nonce, hooks }) => {
  const operation = operations.get(plan.route);
  if (!operation) throw new Error(`No operation ${plan.route} in the document`);
  // The authorizer reads the first Authorization header (Node keeps the first of duplicates):
  // with no token of the plan's own kind, the duplicate's is the one it sees.
  const authorization = await tokens.authorization(plan.auth.kind);
  const second = plan.auth.duplicate ? await tokens.authorization(plan.auth.duplicate) : undefined;
  const authKind = authorization === undefined && second !== undefined && plan.auth.duplicate !== undefined ? plan.auth.duplicate : plan.auth.kind;
  const caller = kindOf(authKind);
  const subject = caller.subject ?? 'anonymous';
  /** @type {string[]} */
  const headers = [];
  /** @type {Ctx} */
  const ctx = {
    route: plan.route,
    authKind,
    caller,
    rawBytesPath: false,
    targetId: undefined,
    idempotencyKey: undefined,
    replayOf: undefined,
    bodyBytes: 0,
  };

  // The path, and its id.
  const prefix = operation.path.split('/{')[0] ?? operation.path;
  let path = operation.path;
  if (plan.id) {
    const { id } = plan;
    const idEnv = { model, subject, index: id.index ?? 0 };
    /** @type {string | undefined} */
    let segment;
    switch (id.kind) {
      case 'absent':
        segment = id.id;
        break;
      case 'odd':
        segment = id.segment;
        break;
      case 'rawBytes':
        segment = id.segment;
        ctx.rawBytesPath = true;
        break;
      case 'unroutable':
        segment = undefined;
        break;
      default: {
        const known = hooks.id(id.kind, idEnv);
        if (!known) throw new Error(`Unknown id kind ${id.kind}`);
        segment = known.segment;
        ctx.targetId = known.targetId;
      }
    }
    if (segment !== undefined) {
      path = operation.path.replace(/\{[^}]+\}/, segment);
    } else {
      const some = hooks.someId(plan.route, idEnv);
      /** @type {Record<string, string>} */
      const shapes = {
        trailingSlash: `${prefix}/${some}/`,
        doubleSlash: `${prefix}//${some}`,
        extraSegment: `${prefix}/${some}/extra`,
        empty: `${prefix}/`,
        leadingDoubleSlash: `/${prefix}/${some}`,
        upperCase: `${prefix.toUpperCase()}/${some}`,
        dotSegment: `${prefix}/./${some}`,
        parentSegment: `${prefix}/..${prefix}/${some}`,
      };
      path = shapes[id.shape ?? ''] ?? `${prefix}/`;
    }
  }

  // The query.
  const cursors = hooks.cursors?.(model) ?? [];
  const real = pickFrom(cursors, 0) ?? 'eyJ4IjoxfQ.AAAA';
  const fillPiece = (/** @type {string} */ piece) => piece.replace(/\{(\w+)\}/g, (_, /** @type {string} */ name) => cursorVariant(name, real));
  if (plan.query.kind === 'valid') {
    const parts = [];
    if (plan.query.limit !== undefined) parts.push(`limit=${plan.query.limit}`);
    if (plan.query.cursor && cursors.length > 0) parts.push(`cursor=${encodeURIComponent(real)}`);
    if (parts.length > 0) path += `?${parts.join('&')}`;
  } else if (plan.query.kind === 'pieces') {
    path += `?${plan.query.pieces.map(fillPiece).join('&')}`;
  } else if (plan.query.kind === 'random') {
    path += `?${plan.query.text}`;
  }

  // The token(s).
  if (authorization !== undefined) headers.push('authorization', authorization);
  if (second !== undefined) headers.push('authorization', second);

  // The Idempotency-Key.
  /** @type {Record<string, unknown> | undefined} */
  let forced;
  const key = plan.idempotencyKey;
  if (key && key.kind !== 'none') {
    const fresh = (/** @type {string} */ text) => `${nonce}.${text}`.slice(0, 128);
    const known = hooks.keysOf?.(model, subject) ?? [];
    /** @type {string | undefined} */
    let value;
    if (key.kind === 'fresh') value = fresh(key.key ?? '');
    else if (key.kind === 'replay' || key.kind === 'reuse') {
      const record = pickFrom(known, key.index ?? 0);
      value = record?.key ?? fresh(`k${key.index}`);
      if (record && key.kind === 'replay') {
        forced = record.replay;
        ctx.replayOf = record;
      }
    } else if (key.kind === 'bad') value = key.value;
    else if (key.kind === 'duplicate') {
      headers.push('idempotency-key', fresh(key.key ?? ''));
      value = fresh(`${key.key}2`);
    }
    if (value !== undefined) {
      headers.push('idempotency-key', value);
      ctx.idempotencyKey = value;
    }
  }

  // The body.
  const placeholders = hooks.placeholders ?? {};
  const placeholderEnv = { model, caller, ...(ctx.targetId !== undefined && { targetId: ctx.targetId }) };
  const body = materializeBody(plan.body, {
    placeholder: (node) => {
      const fill = placeholders[node[FUZZ]];
      if (!fill) throw new Error(`Unknown placeholder ${node[FUZZ]}`);
      return fill(node, placeholderEnv);
    },
    forced,
  });
  ctx.bodyBytes = body.bytes?.length ?? 0;

  // Content type, then the other headers.
  if (plan.contentType === 'duplicate') headers.push('content-type', 'application/json', 'content-type', 'text/plain');
  else if (plan.contentType !== 'none') headers.push('content-type', CONTENT_TYPES[plan.contentType] ?? '');
  if (body.explicitEmpty) headers.push('content-length', '0');
  for (const index of plan.headers) headers.push(...(EXTRA_HEADERS[index] ?? []));

  // The method: the route's, another, or a CORS preflight of the route's.
  let method = operation.method;
  if (typeof plan.method === 'string') method = plan.method;
  else if (plan.method?.preflight) {
    method = 'OPTIONS';
    headers.push('origin', 'https://app.example.com', 'access-control-request-method', plan.method.preflight, 'access-control-request-headers', 'authorization, content-type');
  }

  const hasBytes = (body.bytes?.length ?? 0) > 0;
  return {
    request: {
      method,
      path,
      headers,
      body: body.bytes,
      chunked: plan.chunked && hasBytes && !body.explicitEmpty,
      fresh: body.huge,
    },
    ctx,
  };
};

/**
 * The body's bytes: its value with the placeholders filled in (`repeat` here, the others by
 * `placeholder`) and the fields of `forced` set, then its mutations applied.
 * @param {BodyChoice | undefined} axis
 * @param {{ placeholder: (node: Record<string, any>) => unknown, forced?: Record<string, unknown> }} env
 * @returns {{ bytes?: Buffer, value?: unknown, huge: boolean, explicitEmpty: boolean }}
 */
export const materializeBody = (axis, { placeholder, forced }) => {
  if (!axis) return { huge: false, explicitEmpty: false };
  /** @param {unknown} node @returns {unknown} */
  const resolve = (node) => {
    if (Array.isArray(node)) return node.map(resolve);
    if (!isPlainObject(node)) return node;
    if (FUZZ in node) return node[FUZZ] === 'repeat' ? String(node.text).repeat(node.count) : placeholder(node);
    const copy = {};
    for (const [name, value] of Object.entries(node)) setOwn(copy, name, resolve(value));
    return copy;
  };
  /** @type {any} */
  let value = resolve(axis.value);
  if (forced && isPlainObject(value)) {
    for (const [name, forcedValue] of Object.entries(forced)) setOwn(value, name, forcedValue);
  }

  // Mutations of the value, then of the text.
  /** @type {Map<string, Buffer>} */
  const replacements = new Map();
  let marker = 0;
  /** @param {string} field @param {Buffer} raw */
  const replaceField = (field, raw) => {
    const name = MARKER(marker++);
    if (!isPlainObject(value)) value = {};
    setOwn(value, field, name);
    replacements.set(name, raw);
  };
  /** @type {Mutation[]} */
  const textOps = [];
  for (const mutation of axis.mutations) {
    switch (mutation.op) {
      case 'missing':
        if (isPlainObject(value)) delete value[mutation.field];
        break;
      case 'set':
        if (!isPlainObject(value)) value = {};
        setOwn(value, mutation.field, resolve(mutation.value));
        break;
      case 'raw':
        replaceField(mutation.field, Buffer.from(mutation.token, 'utf8'));
        break;
      case 'bytes':
        replaceField(mutation.field, Buffer.concat([Buffer.from('"a'), Buffer.from(mutation.hex, 'hex'), Buffer.from('b"')]));
        break;
      case 'nest': {
        const open = mutation.kind === 'array' ? '[' : '{"a":';
        const close = mutation.kind === 'array' ? ']' : '}';
        const inner = mutation.kind === 'array' ? '' : '1';
        const text = `${open.repeat(mutation.depth)}${inner}${close.repeat(mutation.balanced ? mutation.depth : mutation.depth - 1)}`;
        if (mutation.field === null) textOps.push({ op: 'body', text });
        else replaceField(mutation.field, Buffer.from(text));
        break;
      }
      default:
        textOps.push(mutation);
    }
  }

  /** @type {Buffer} */
  let bytes = Buffer.from(JSON.stringify(value) ?? 'null', 'utf8');
  for (const [name, raw] of replacements) {
    const needle = Buffer.from(JSON.stringify(name));
    const at = bytes.indexOf(needle);
    if (at >= 0) bytes = Buffer.concat([bytes.subarray(0, at), raw, bytes.subarray(at + needle.length)]);
  }

  let huge = false;
  let explicitEmpty = false;
  let none = false;
  for (const mutation of textOps) {
    const text = bytes.toString('utf8');
    switch (mutation.op) {
      case 'body':
        bytes = Buffer.from(mutation.text, 'utf8');
        break;
      case 'wrap':
        bytes = Buffer.from(mutation.how === 'array' ? `[${text}]` : mutation.how === 'string' ? JSON.stringify(text) : `{"data":${text}}`, 'utf8');
        break;
      case 'syntax':
        bytes = syntaxMutation(bytes, mutation, value);
        break;
      case 'pad':
        if (bytes.length < mutation.to) bytes = Buffer.concat([bytes, Buffer.alloc(mutation.to - bytes.length, ' ')]);
        break;
      case 'none':
        none = true;
        break;
      case 'empty':
        explicitEmpty = true;
        break;
      case 'huge':
        huge = true;
        bytes = Buffer.alloc(mutation.bytes, 'x');
        break;
      default:
        throw new Error(`Unknown body mutation ${mutation.op}`);
    }
  }
  if (none || explicitEmpty) bytes = Buffer.alloc(0);
  return { bytes, value: huge ? undefined : value, huge, explicitEmpty };
};

/** @param {Buffer} bytes @param {{ how: string, at: number }} mutation @param {unknown} value */
const syntaxMutation = (bytes, { how, at }, value) => {
  const text = bytes.toString('utf8');
  const position = Math.min(Math.floor(at * bytes.length), Math.max(bytes.length - 1, 0));
  switch (how) {
    case 'truncate':
      return bytes.subarray(0, position);
    case 'trailingComma':
      return Buffer.from(text.endsWith('}') ? `${text.slice(0, -1)},}` : `${text},`);
    case 'trailingGarbage':
      return Buffer.from(`${text} x`);
    case 'comment':
      return Buffer.from(`/* fuzz */${text}`);
    case 'singleQuotes':
      return Buffer.from(text.replaceAll('"', "'"));
    case 'bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
    case 'whitespace':
      return Buffer.from(` \t\r\n${text}\n\t `);
    case 'base64':
      return Buffer.from(bytes.toString('base64'));
    case 'utf16le':
      return Buffer.from(text, 'utf16le');
    case 'latin1':
      return Buffer.from(text, 'latin1');
    case 'duplicateKey': {
      const keys = isPlainObject(value) ? Object.keys(/** @type {object} */ (value)) : [];
      const key = keys[Math.floor(at * keys.length)] ?? 'name';
      return Buffer.from(text.endsWith('}') && text.length > 2 ? `${text.slice(0, -1)},${JSON.stringify(key)}:"duplicate"}` : text);
    }
    case 'nulByte':
      return Buffer.concat([bytes.subarray(0, position), Buffer.from([0]), bytes.subarray(position)]);
    case 'unquotedKey':
      return Buffer.from(text.replace(/"([A-Za-z_]\w*)":/, '$1:'));
    default:
      throw new Error(`Unknown syntax mutation ${how}`);
  }
};
