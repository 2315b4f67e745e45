// Turns a plan (plans.mjs) into the bytes of one HTTP request, filling the
// placeholders from the model (an existing item's id and version, a real
// cursor, the caller's email) and applying the body's mutations.
import { CONTENT_TYPES, EXTRA_HEADERS, FUZZ } from './plans.mjs';
import { EMAILS, tokenKind } from './tokens.mjs';

/**
 * @typedef {object} Sent
 * @property {import('./http-client.mjs').RawRequest} request
 * @property {object} ctx  what the oracle and the model need to know about it
 */

const MARKER = (n) => `@@fuzz-marker-${n}@@`;

/** Sets an own property, even `__proto__`. */
const setOwn = (target, key, value) => Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });

const isPlainObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Every char percent-encoded: the same id, spelled differently. */
const encodeEvery = (text) => [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');

const pickFrom = (list, index) => (list.length === 0 ? undefined : list[index % list.length]);

/** The cursor variants a query piece names, from a real cursor. */
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
 * @param {object} plan
 * @param {{ operations: Map<string, import('./openapi.mjs').Operation>, model: import('./model.mjs').Model,
 *   tokens: { authorization: (kind: string) => Promise<string | undefined> }, nonce: string }} env
 * @returns {Promise<Sent>}
 */
export const materialize = async (plan, { operations, model, tokens, nonce }) => {
  const operation = operations.get(plan.route);
  if (!operation) throw new Error(`No operation ${plan.route} in the document`);
  // The authorizer reads the first Authorization header (Node keeps the first of duplicates):
  // with no token of the plan's own kind, the duplicate's is the one it sees.
  const authorization = await tokens.authorization(plan.auth.kind);
  const second = plan.auth.duplicate ? await tokens.authorization(plan.auth.duplicate) : undefined;
  const authKind = authorization === undefined && second !== undefined ? plan.auth.duplicate : plan.auth.kind;
  const caller = tokenKind(authKind);
  const subject = caller.subject ?? 'anonymous';
  const headers = [];
  const ctx = {
    route: plan.route,
    authKind,
    caller,
    rawBytesPath: false,
    /** @type {string | undefined} */ targetId: undefined,
    /** @type {string | undefined} */ idempotencyKey: undefined,
    /** @type {{ key: string, orderId: string } | undefined} */ replayOf: undefined,
    bodyBytes: 0,
  };

  // The path, and its id.
  const prefix = operation.path.split('/{')[0] ?? operation.path;
  let path = operation.path;
  if (plan.id) {
    const anyOwnId = () => pickFrom(model.ordersOf(subject), plan.id.index ?? 0) ?? pickFrom([...model.orders.keys()], plan.id.index ?? 0) ?? 'no-order-yet';
    const anyPoolId = () => pickFrom(model.pool, plan.id.index ?? 0) ?? 'no-item-yet';
    let segment;
    switch (plan.id.kind) {
      case 'pool':
        segment = anyPoolId();
        ctx.targetId = segment;
        break;
      case 'orderItem':
        segment = pickFrom(model.orderItems, plan.id.index) ?? 'no-order-item';
        break;
      case 'deleted':
        segment = pickFrom(model.deleted, plan.id.index) ?? 'never-deleted';
        break;
      case 'encodedPool':
        ctx.targetId = anyPoolId();
        segment = encodeEvery(ctx.targetId);
        break;
      case 'mine':
        segment = pickFrom(model.ordersOf(subject), plan.id.index) ?? anyOwnId();
        break;
      case 'encodedMine':
        segment = encodeEvery(pickFrom(model.ordersOf(subject), plan.id.index) ?? anyOwnId());
        break;
      case 'others':
        segment = pickFrom(model.ordersNotOf(subject), plan.id.index) ?? 'no-other-order';
        break;
      case 'item':
        segment = anyPoolId();
        break;
      case 'absent':
        segment = plan.id.id;
        break;
      case 'odd':
        segment = plan.id.segment;
        break;
      case 'rawBytes':
        segment = plan.id.segment;
        ctx.rawBytesPath = true;
        break;
      case 'unroutable':
        segment = undefined;
        break;
      default:
        throw new Error(`Unknown id kind ${plan.id.kind}`);
    }
    if (segment !== undefined) {
      path = operation.path.replace(/\{[^}]+\}/, segment);
    } else {
      const id = plan.route.includes('Order') ? anyOwnId() : anyPoolId();
      const shapes = {
        trailingSlash: `${prefix}/${id}/`,
        doubleSlash: `${prefix}//${id}`,
        extraSegment: `${prefix}/${id}/extra`,
        empty: `${prefix}/`,
        leadingDoubleSlash: `/${prefix}/${id}`,
        upperCase: `${prefix.toUpperCase()}/${id}`,
        dotSegment: `${prefix}/./${id}`,
        parentSegment: `${prefix}/..${prefix}/${id}`,
      };
      path = shapes[plan.id.shape];
    }
  }

  // The query.
  const real = pickFrom(model.cursors, 0) ?? 'eyJ4IjoxfQ.AAAA';
  const fillPiece = (piece) => piece.replace(/\{(\w+)\}/g, (_, name) => cursorVariant(name, real));
  if (plan.query.kind === 'valid') {
    const parts = [];
    if (plan.query.limit !== undefined) parts.push(`limit=${plan.query.limit}`);
    if (plan.query.cursor && model.cursors.length > 0) parts.push(`cursor=${encodeURIComponent(real)}`);
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
  let forcedOrder;
  const key = plan.idempotencyKey;
  if (key && key.kind !== 'none') {
    const fresh = (text) => `${nonce}.${text}`.slice(0, 128);
    const known = model.keysOf(subject);
    let value;
    if (key.kind === 'fresh') value = fresh(key.key);
    else if (key.kind === 'replay' || key.kind === 'reuse') {
      const record = pickFrom(known, key.index);
      value = record?.key ?? fresh(`k${key.index}`);
      if (record && key.kind === 'replay') {
        forcedOrder = { itemId: record.itemId, quantity: record.quantity };
        ctx.replayOf = { key: record.key, orderId: record.orderId };
      }
    } else if (key.kind === 'bad') value = key.value;
    else if (key.kind === 'duplicate') {
      headers.push('idempotency-key', fresh(key.key));
      value = fresh(`${key.key}2`);
    }
    if (value !== undefined) {
      headers.push('idempotency-key', value);
      ctx.idempotencyKey = value;
    }
  }

  // The body.
  const body = materializeBody(plan.body, {
    model,
    email: caller.email ?? EMAILS.ada,
    targetId: ctx.targetId,
    forcedOrder,
  });
  ctx.bodyBytes = body.bytes?.length ?? 0;

  // Content type, then the other headers.
  if (plan.contentType === 'duplicate') headers.push('content-type', 'application/json', 'content-type', 'text/plain');
  else if (plan.contentType !== 'none') headers.push('content-type', CONTENT_TYPES[plan.contentType]);
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
 * @param {{ value: unknown, mutations: object[] } | undefined} axis
 * @param {{ model: import('./model.mjs').Model, email: string, targetId?: string, forcedOrder?: { itemId: string, quantity: number } }} env
 * @returns {{ bytes?: Buffer, value?: unknown, huge: boolean, explicitEmpty: boolean }}
 */
export const materializeBody = (axis, { model, email, targetId, forcedOrder }) => {
  if (!axis) return { huge: false, explicitEmpty: false };
  const resolve = (node) => {
    if (Array.isArray(node)) return node.map(resolve);
    if (!isPlainObject(node)) return node;
    if (FUZZ in node) {
      switch (node[FUZZ]) {
        case 'version':
          return (targetId && model.versionOf(targetId)) ?? 1;
        case 'email':
          return email;
        case 'emailUpper':
          return email.toUpperCase();
        case 'orderItem':
          return pickFrom(model.orderItems, node.index) ?? 'no-order-item';
        case 'repeat':
          return String(node.text).repeat(node.count);
        default:
          throw new Error(`Unknown placeholder ${node[FUZZ]}`);
      }
    }
    const copy = {};
    for (const [name, value] of Object.entries(node)) setOwn(copy, name, resolve(value));
    return copy;
  };
  let value = resolve(axis.value);
  if (forcedOrder && isPlainObject(value)) {
    setOwn(value, 'itemId', forcedOrder.itemId);
    setOwn(value, 'quantity', forcedOrder.quantity);
  }

  // Mutations of the value, then of the text.
  /** @type {Map<string, Buffer>} */
  const replacements = new Map();
  let marker = 0;
  const replaceField = (field, raw) => {
    const name = MARKER(marker++);
    if (!isPlainObject(value)) value = {};
    setOwn(value, field, name);
    replacements.set(name, raw);
  };
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
