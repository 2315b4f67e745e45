// Holds what the running system answers to what its OpenAPI document says
// (tools/openapi: generated from the handlers' own zod schemas): the status
// must be one the matched operation documents, and the JSON body must match
// that response's schema (JSON Schema 2020-12, as OpenAPI 3.1 uses, checked by
// ajv). The e2e tests (system-tests/e2e/support/openapi-validator.ts) and the fuzzer
// (tools/fuzz) both judge answers with it; CommonJS is what both can load.
'use strict';

const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;

/** What the local gateway serves itself, outside any service's document. */
const GATEWAY_OWN_PATHS = new Set(['/openapi.json', '/docs', '/docs/']);

const isParam = (segment) => /^\{[^}]+\}$/.test(segment);
const segmentsOf = (pathname) => pathname.split('/').slice(1);

/** `#/components/schemas/X` is relative to the document; in ajv it names the components schema. */
const toAjvRefs = (schema) => JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', '"openapi-components#/$defs/'));

/**
 * @param {Record<string, any>} document  the merged OpenAPI document
 */
const createResponseChecker = (document) => {
  // strict: false, because OpenAPI adds keywords JSON Schema does not know (example, discriminator…).
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  // The components become one schema of their own that every response schema refers into.
  ajv.addSchema({ $id: 'openapi-components', $defs: toAjvRefs(document.components?.schemas ?? {}) });
  const validators = new Map();

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

  const validatorFor = (key, schema) => {
    let validate = validators.get(key);
    if (!validate) {
      validate = ajv.compile(toAjvRefs(schema));
      validators.set(key, validate);
    }
    return validate;
  };

  const describeErrors = (validate) =>
    (validate.errors ?? []).map((error) => `${error.instancePath || '(body)'} ${error.message}${error.params ? ` ${JSON.stringify(error.params)}` : ''}`).join('; ');

  /**
   * Why an answer does not match the document, or undefined when it does. A request no
   * operation matches must have met the gateway's 404 in the API's error shape (or a CORS
   * preflight's 204); the gateway's own /openapi.json and /docs are not checked.
   * @param {{ method: string, path: string, status: number, body?: unknown, hasBody?: boolean }} observed
   *   body: the parsed JSON (undefined if none or not JSON); hasBody: whether any body came (default: body !== undefined)
   * @returns {string | undefined}
   */
  const mismatch = ({ method, path: requested, status, body, hasBody = body !== undefined }) => {
    const pathname = requested.split('?', 1)[0] ?? requested;
    const lower = method.toLowerCase();
    if (GATEWAY_OWN_PATHS.has(pathname)) return undefined;
    const template = templateFor(pathname);
    const operation = template ? document.paths[template]?.[lower] : undefined;
    const check = (key, schema) => {
      if (body === undefined) return 'the document gives this answer a JSON body, but there was none (or it was not JSON)';
      const validate = validatorFor(key, schema);
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

  return { mismatch, templateFor };
};

module.exports = { createResponseChecker };
