// The merged OpenAPI document as the fuzzer uses it: the operations to fuzz,
// each request body's schema to generate from and to judge bodies by, and a
// check that each answer is one the document lists (status and body).
// The response check is the logic of tools/e2e/support/openapi-validator.ts,
// in ESM, for a document passed in rather than generated on first use.
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv and ajv-formats are CommonJS with a default export.
const Ajv2020 = /** @type {typeof import('ajv/dist/2020.js').default} */ (/** @type {any} */ (Ajv2020Module).default ?? Ajv2020Module);
const addFormats = /** @type {typeof import('ajv-formats').default} */ (/** @type {any} */ (addFormatsModule).default ?? addFormatsModule);

/** What the local gateway serves itself, outside any service's document. */
const GATEWAY_OWN_PATHS = new Set(['/openapi.json', '/docs', '/docs/']);
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** @typedef {Record<string, any>} Json */

/**
 * @typedef {object} Operation
 * @property {string} operationId
 * @property {string} method  upper case
 * @property {string} path  the template, e.g. /items/{id}
 * @property {string[] | undefined} scopes  undefined: public; []: any valid token
 * @property {Json | undefined} bodySchema  the application/json request body's schema (refs resolved)
 * @property {Json[]} parameters
 * @property {string[]} statuses  the documented response statuses
 */

const isParam = (segment) => /^\{[^}]+\}$/.test(segment);
const segmentsOf = (pathname) => pathname.split('/').slice(1);

/** `#/components/schemas/X` is relative to the document; in ajv it names the components schema. */
const toAjvRefs = (schema) => JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', '"openapi-components#/$defs/'));

/** The schema with every $ref into the components replaced by its target, for generating values. */
export const inlineRefs = (document, schema) => {
  const seen = new Set();
  const walk = (node) => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== 'object') return node;
    if (typeof node.$ref === 'string') {
      const name = node.$ref.replace('#/components/schemas/', '');
      if (seen.has(name)) throw new Error(`The schema ${name} refers to itself; the fuzzer generates from finite schemas only`);
      seen.add(name);
      const target = walk(document.components?.schemas?.[name]);
      seen.delete(name);
      if (!target) throw new Error(`The OpenAPI document refers to ${node.$ref}, which it does not define`);
      return target;
    }
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, walk(value)]));
  };
  return walk(schema);
};

const LENGTH_KEYWORDS = { minLength: 'minUnits', maxLength: 'maxUnits' };

/**
 * A request schema as zod judges: without `format` (zod checks an email by its `pattern`, which the
 * document carries too), and string lengths in UTF-16 code units (String#length), where JSON Schema
 * counts code points.
 */
const asZodJudges = (schema) => {
  if (Array.isArray(schema)) return schema.map(asZodJudges);
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key]) => key !== 'format')
      .map(([key, value]) => {
        // A map of named subschemas: its keys are names, not keywords.
        if (['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'].includes(key) && value && typeof value === 'object') {
          return [key, Object.fromEntries(Object.entries(value).map(([name, subschema]) => [name, asZodJudges(subschema)]))];
        }
        return [key in LENGTH_KEYWORDS && typeof value === 'number' ? LENGTH_KEYWORDS[key] : key, asZodJudges(value)];
      }),
  );
};

/** @param {Json} document */
export const createOpenApi = (document) => {
  // strict: false, because OpenAPI adds keywords JSON Schema does not know (example, discriminator…).
  const responseAjv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(responseAjv);
  responseAjv.addSchema({ $id: 'openapi-components', $defs: toAjvRefs(document.components?.schemas ?? {}) });
  // Request bodies are judged as zod judges them: lengths in UTF-16 code units (String#length), no formats.
  const requestAjv = new Ajv2020({ strict: false, allErrors: false });
  requestAjv.addKeyword({ keyword: 'minUnits', type: 'string', schemaType: 'number', validate: (min, data) => data.length >= min });
  requestAjv.addKeyword({ keyword: 'maxUnits', type: 'string', schemaType: 'number', validate: (max, data) => data.length <= max });
  /** @type {Map<string, import('ajv').ValidateFunction>} */
  const validators = new Map();

  /** @returns {Operation[]} */
  const operations = () =>
    Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
      METHODS.filter((method) => item?.[method]).map((method) => {
        const operation = item[method];
        const security = operation.security ?? document.security;
        const jwt = Array.isArray(security) ? security.find((entry) => entry && 'jwt' in entry) : undefined;
        const schema = operation.requestBody?.content?.['application/json']?.schema;
        return {
          operationId: operation.operationId ?? `${method} ${path}`,
          method: method.toUpperCase(),
          path,
          scopes: jwt ? jwt.jwt : undefined,
          bodySchema: schema ? inlineRefs(document, schema) : undefined,
          parameters: [...(item.parameters ?? []), ...(operation.parameters ?? [])],
          statuses: Object.keys(operation.responses ?? {}),
        };
      }),
    );

  /** The document's path template for `pathname`, literal segments beating {params} from the left, as API Gateway matches. */
  const templateFor = (pathname) => {
    const actual = segmentsOf(pathname);
    const rank = (template) => segmentsOf(template).map((segment) => (isParam(segment) ? '1' : '0')).join('');
    return Object.keys(document.paths ?? {})
      .filter((template) => {
        const expected = segmentsOf(template);
        return expected.length === actual.length && expected.every((segment, index) => (isParam(segment) ? actual[index] !== '' : segment === actual[index]));
      })
      .sort((a, b) => rank(a).localeCompare(rank(b)))[0];
  };

  const resolveResponse = (response) => {
    const ref = response?.$ref;
    if (typeof ref !== 'string') return response;
    const target = document.components?.responses?.[ref.replace('#/components/responses/', '')];
    if (!target) throw new Error(`The OpenAPI document refers to ${ref}, which it does not define`);
    return resolveResponse(target);
  };

  /** @returns {import('ajv').ValidateFunction} */
  const compile = (ajv, key, schema) => {
    const known = validators.get(key);
    if (known) return known;
    const validate = ajv.compile(schema);
    validators.set(key, validate);
    return validate;
  };

  const describeErrors = (validate) =>
    (validate.errors ?? []).map((error) => `${error.instancePath || '(body)'} ${error.message}${error.params ? ` ${JSON.stringify(error.params)}` : ''}`).join('; ');

  /**
   * Why an answer does not match the document, or undefined when it does: the status must be one
   * the matched operation documents, and the JSON body must fit that response's schema. A request
   * no operation matches must have met the gateway's 404 in the API's error shape.
   * @param {{ method: string, path: string, status: number, body: unknown, hasBody: boolean }} observed  body: the parsed JSON (undefined if none or not JSON)
   * @returns {string | undefined}
   */
  const mismatch = ({ method, path: requested, status, body, hasBody }) => {
    const pathname = requested.split('?', 1)[0] ?? requested;
    const lower = method.toLowerCase();
    if (GATEWAY_OWN_PATHS.has(pathname)) return undefined;
    const template = templateFor(pathname);
    const operation = template ? document.paths[template]?.[lower] : undefined;
    /** @param {string} key @param {Json} schema */
    const check = (key, schema) => {
      if (body === undefined) return 'the document gives this answer a JSON body, but there was none (or it was not JSON)';
      const validate = compile(responseAjv, key, toAjvRefs(schema));
      return validate(body) ? undefined : `the body does not match the document: ${describeErrors(validate)}`;
    };
    if (!template || !operation) {
      if (lower === 'options' && status === 204) return undefined;
      if (status !== 404) return `no operation of the document matches ${method} ${pathname.slice(0, 80)}, so the gateway should have answered 404, not ${status}`;
      return check('#unmatched', { $ref: '#/components/schemas/ErrorBody' });
    }
    const responses = operation.responses ?? {};
    const code = [String(status), `${String(status)[0]}XX`, 'default'].find((candidate) => candidate in responses);
    if (!code) return `${operation.operationId ?? `${lower} ${template}`} documents ${Object.keys(responses).join(', ')}, not ${status}`;
    const schema = resolveResponse(responses[code]).content?.['application/json']?.schema;
    if (!schema) return hasBody ? 'the document gives this answer no body, but it had one' : undefined;
    return check(`${lower} ${template} ${code}`, schema);
  };

  /**
   * Whether a parsed request body fits the operation's request schema, judged as zod would
   * (lengths in code units, no formats). The route's own rules beyond the schema are the oracle's.
   * @param {Operation} operation @param {unknown} body
   */
  const bodyFits = (operation, body) => {
    if (!operation.bodySchema) return true;
    return compile(requestAjv, `request ${operation.operationId}`, asZodJudges(operation.bodySchema))(body);
  };

  return { document, operations, mismatch, bodyFits, templateFor };
};
