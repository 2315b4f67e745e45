// Holds what the running system answers to what its OpenAPI document says
// (tools/openapi: generated from the handlers' own zod schemas): the status must
// be one the matched operation documents, and the JSON body must match that
// response's schema (JSON Schema 2020-12, as OpenAPI 3.1 uses, checked by ajv).
// An e2e test calls assertMatchesOpenApi() on each answer it gets.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

const ROOT = path.resolve(__dirname, '../../..');
const GENERATOR = path.join(ROOT, 'tools/openapi/generate.mjs');
// What the local gateway serves itself, outside any service's document.
const GATEWAY_OWN_PATHS = new Set(['/openapi.json', '/docs', '/docs/']);

type Json = Record<string, any>;

export interface ObservedResponse {
  method: string;
  /** As requested: the query string is ignored. */
  path: string;
  status: number;
  /** The parsed JSON body; undefined when there was none. */
  body?: unknown;
}

let loaded: { document: Json; ajv: Ajv2020; validators: Map<string, ValidateFunction> } | undefined;

/**
 * The merged document, generated afresh from the schemas on first use (about half a second),
 * so it is never older than the code under test; OPENAPI_DOCUMENT may name a file to use instead.
 */
export const loadOpenApiDocument = (): Json => (loaded ??= load()).document;

const load = () => {
  const file = process.env.OPENAPI_DOCUMENT;
  const text = file
    ? readFileSync(file, 'utf8')
    : execFileSync(process.execPath, [GENERATOR, '--print'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const document = JSON.parse(text) as Json;
  // strict: false, because OpenAPI adds keywords JSON Schema does not know (example, discriminator…).
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  // The components become one schema of their own that every response schema refers into.
  ajv.addSchema({ $id: 'openapi-components', $defs: toAjvRefs(document.components?.schemas ?? {}) });
  return { document, ajv, validators: new Map<string, ValidateFunction>() };
};

/** `#/components/schemas/X` is relative to the document; in ajv it names the components schema. */
const toAjvRefs = (schema: unknown): any => JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', '"openapi-components#/$defs/'));

const segmentsOf = (pathname: string) => pathname.split('/').slice(1);

/** The document's path template for `pathname`, literal segments beating {params} from the left, as API Gateway matches. */
const templateFor = (document: Json, pathname: string): string | undefined => {
  const actual = segmentsOf(pathname);
  const rank = (template: string) => segmentsOf(template).map((segment) => (/^\{[^}]+\}$/.test(segment) ? '1' : '0')).join('');
  return Object.keys(document.paths ?? {})
    .filter((template) => {
      const expected = segmentsOf(template);
      return expected.length === actual.length && expected.every((segment, index) => /^\{[^}]+\}$/.test(segment) ? actual[index] !== '' : segment === actual[index]);
    })
    .sort((a, b) => rank(a).localeCompare(rank(b)))[0];
};

const resolveResponse = (document: Json, response: Json): Json => {
  const ref: unknown = response.$ref;
  if (typeof ref !== 'string') return response;
  const name = ref.replace('#/components/responses/', '');
  const target = document.components?.responses?.[name];
  if (!target) throw new Error(`The OpenAPI document refers to ${ref}, which it does not define`);
  return resolveResponse(document, target);
};

const validatorFor = (key: string, schema: Json): ValidateFunction => {
  const { ajv, validators } = loaded ?? (loaded = load());
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(toAjvRefs(schema));
    validators.set(key, validate);
  }
  return validate;
};

const describeErrors = (validate: ValidateFunction) =>
  (validate.errors ?? []).map((error) => `${error.instancePath || '(body)'} ${error.message}${error.params ? ` ${JSON.stringify(error.params)}` : ''}`).join('; ');

const fail = (message: string): never => {
  throw new Error(message);
};

/** Checks `body` against `schema`, or fails saying where they differ. */
const assertBody = (key: string, what: string, schema: Json, body: unknown) => {
  const validate = validatorFor(key, schema);
  if (!validate(body)) fail(`${what}: the body does not match the OpenAPI document: ${describeErrors(validate)}\nbody: ${JSON.stringify(body).slice(0, 1000)}`);
};

/**
 * Throws unless the document lists `status` for the operation `method path` matches, with a
 * body that fits its schema. A request no operation matches must have met the gateway's 404 in
 * the API's error shape (or a CORS preflight's 204); the gateway's own /openapi.json and /docs
 * are not checked.
 */
export const assertMatchesOpenApi = ({ method, path: requested, status, body }: ObservedResponse): void => {
  const document = loadOpenApiDocument();
  const pathname = requested.split('?', 1)[0] ?? requested;
  const lower = method.toLowerCase();
  const what = `${method.toUpperCase()} ${requested} → ${status}`;
  if (GATEWAY_OWN_PATHS.has(pathname)) return;
  const template = templateFor(document, pathname);
  const operation: Json | undefined = template ? document.paths[template]?.[lower] : undefined;
  if (!template || !operation) {
    if (lower === 'options' && status === 204) return;
    if (status !== 404) fail(`${what}: no operation of the OpenAPI document matches, so the gateway should have answered 404`);
    return assertBody('#unmatched', what, { $ref: '#/components/schemas/ErrorBody' }, body);
  }
  const responses: Json = operation.responses ?? {};
  const code = [String(status), `${String(status)[0]}XX`, 'default'].find((candidate) => candidate in responses);
  if (!code) {
    fail(`${what}: ${operation.operationId ?? `${lower} ${template}`} documents ${Object.keys(responses).join(', ')}, not ${status}`);
    return;
  }
  const response = resolveResponse(document, responses[code]);
  const schema: Json | undefined = response.content?.['application/json']?.schema;
  if (!schema) {
    if (body !== undefined && body !== '') fail(`${what}: the document gives this answer no body, but it had one: ${JSON.stringify(body).slice(0, 300)}`);
    return;
  }
  if (body === undefined) fail(`${what}: the document gives this answer a JSON body, but there was none (or it was not JSON)`);
  assertBody(`${lower} ${template} ${code}`, what, schema, body);
};
