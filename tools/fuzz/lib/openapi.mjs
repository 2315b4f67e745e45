// The merged OpenAPI document as the fuzzer uses it: the operations to fuzz,
// each request body's schema to generate from and to judge bodies by, and a
// check that each answer is one the document lists (status and body).
// The response check is the e2e tests' own (libs/testing openapi-responses.cjs).
import Ajv2020Module from 'ajv/dist/2020.js';
import { createResponseChecker } from '@platform/testing/openapi-responses';

// ajv is CommonJS with a default export.
const Ajv2020 = /** @type {typeof import('ajv/dist/2020.js').default} */ (/** @type {any} */ (Ajv2020Module).default ?? Ajv2020Module);

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** @typedef {Record<string, any>} Json */

/**
 * @typedef {object} Operation
 * @property {string} operationId
 * @property {string} method  upper case
 * @property {string} path  the template, e.g. /things/{id}
 * @property {string[] | undefined} scopes  undefined: public; []: any valid token
 * @property {Json | undefined} bodySchema  the application/json request body's schema (refs resolved)
 * @property {Json[]} parameters
 * @property {string[]} statuses  the documented response statuses
 */

/**
 * The schema with every $ref into the components replaced by its target, for generating values.
 * @param {Json} document @param {unknown} schema @returns {any}
 */
export const inlineRefs = (document, schema) => {
  const seen = new Set();
  /** @param {any} node @returns {any} */
  const walk = (node) => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== 'object') return node;
    if (typeof node.$ref === 'string') {
      const name = node.$ref.replace('#/components/schemas/', '');
      if (seen.has(name)) throw new Error(`The schema ${name} refers to itself; the fuzzer generates from finite schemas only`);
      seen.add(name);
      const target = /** @type {unknown} */ (walk(document.components?.schemas?.[name]));
      seen.delete(name);
      if (!target) throw new Error(`The OpenAPI document refers to ${node.$ref}, which it does not define`);
      return target;
    }
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, walk(value)]));
  };
  return walk(schema);
};

/** @type {Record<string, string>} */
const LENGTH_KEYWORDS = { minLength: 'minUnits', maxLength: 'maxUnits' };

/**
 * A request schema as zod judges: without `format` (zod checks an email by its `pattern`, which the
 * document carries too), and string lengths in UTF-16 code units (String#length), where JSON Schema
 * counts code points.
 * @param {any} schema @returns {any}
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
        return [typeof value === 'number' ? (LENGTH_KEYWORDS[key] ?? key) : key, asZodJudges(value)];
      }),
  );
};

/** @param {Json} document */
export const createOpenApi = (document) => {
  const { mismatch, templateFor } = createResponseChecker(document);
  // Request bodies are judged as zod judges them: lengths in UTF-16 code units (String#length), no formats.
  const requestAjv = new Ajv2020({ strict: false, allErrors: false });
  requestAjv.addKeyword({ keyword: 'minUnits', type: 'string', schemaType: 'number', validate: (/** @type {number} */ min, /** @type {string} */ data) => data.length >= min });
  requestAjv.addKeyword({ keyword: 'maxUnits', type: 'string', schemaType: 'number', validate: (/** @type {number} */ max, /** @type {string} */ data) => data.length <= max });
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

  /**
   * Whether a parsed request body fits the operation's request schema, judged as zod would
   * (lengths in code units, no formats). The route's own rules beyond the schema are the oracle's.
   * @param {Operation} operation @param {unknown} body
   */
  const bodyFits = (operation, body) => {
    if (!operation.bodySchema) return true;
    const key = `request ${operation.operationId}`;
    let validate = validators.get(key);
    if (!validate) {
      validate = requestAjv.compile(asZodJudges(operation.bodySchema));
      validators.set(key, validate);
    }
    return validate(body);
  };

  return { document, operations, mismatch, bodyFits, templateFor };
};
