// One document for every service behind the one gateway, as clients see it:
// the services' paths side by side and their components pooled. Two services
// may declare the same component (each HTTP service keeps its own copy of the
// error shape and the security scheme) only if both render it identically;
// a path, an operationId or a differing component declared twice is an error,
// because behind one host only one of them could be true.
import { isDeepStrictEqual } from 'node:util';

// An OpenAPI 3.1 document as far as these tools read it; everything else in it
// (schemas, responses, examples, extensions) is passed through or compared whole.

/** @typedef {unknown} Json Any JSON value, only passed through or compared here, never read into. */
/** @typedef {'get' | 'put' | 'post' | 'delete' | 'options' | 'head' | 'patch' | 'trace'} HttpMethod */
/** @typedef {Record<string, string[]>} SecurityRequirement scheme name → the scopes it needs ({} when authentication is optional) */
/**
 * @typedef {object} Operation
 * @property {string} [operationId]
 * @property {SecurityRequirement[]} [security] overrides the document's
 * @property {Json} [responses]
 */
/** @typedef {{ [M in HttpMethod]?: Operation }} PathItem */
/** @typedef {{ name: string, description?: string }} Tag */
/**
 * @typedef {object} SecurityScheme
 * @property {string} type apiKey, http, mutualTLS, oauth2 or openIdConnect
 * @property {string} [scheme] the HTTP authentication scheme of a type http one (bearer, basic, ...)
 * @property {string} [bearerFormat]
 * @property {string} [in]
 * @property {string} [name]
 * @property {string} [description]
 * @property {Json} [flows]
 * @property {string} [openIdConnectUrl]
 */
/** @typedef {{ securitySchemes?: Record<string, SecurityScheme>, [type: string]: Record<string, Json> | undefined }} Components component type (schemas, securitySchemes, responses, ...) → name → component */
/**
 * @typedef {object} OpenApiDocument
 * @property {string} [openapi]
 * @property {Json} [info]
 * @property {Json[]} [servers]
 * @property {Tag[]} [tags]
 * @property {Record<string, PathItem>} [paths]
 * @property {Components} [components]
 * @property {SecurityRequirement[]} [security] what an operation without its own `security` requires
 */
/**
 * What mergeDocuments returns: every part present.
 * @typedef {object} MergedDocument
 * @property {string} openapi
 * @property {Json} info
 * @property {Json[]} servers
 * @property {Tag[]} tags
 * @property {Record<string, PathItem>} paths
 * @property {Record<string, Record<string, Json>>} components
 */

/** @type {HttpMethod[]} */
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** @param {OpenApiDocument} document @returns {Array<{ method: HttpMethod, path: string, operation: Operation }>} */
export const operationsOf = (document) =>
  Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    // (filtered on just before: item[method] is there)
    HTTP_METHODS.filter((method) => item?.[method]).map((method) => ({ method, path, operation: /** @type {Operation} */ (item[method]) })),
  );

/**
 * Pools `named` (service → map of name → value) into one map; a name with two different values is a clash.
 * @template T
 * @param {Array<[string, Record<string, T> | undefined]>} named
 * @param {string} what
 * @param {string[]} clashes
 * @returns {Record<string, T>}
 */
const pool = (named, what, clashes) => {
  /** @type {Record<string, T>} */
  const merged = {};
  /** @type {Record<string, string>} */
  const owner = {};
  for (const [service, entries] of named) {
    for (const [name, value] of Object.entries(entries ?? {})) {
      if (!(name in merged)) {
        merged[name] = value;
        owner[name] = service;
      } else if (!isDeepStrictEqual(merged[name], value)) {
        clashes.push(`${what} "${name}" differs between ${owner[name]} and ${service}`);
      }
    }
  }
  return merged;
};

/**
 * @param {Array<{ name: string, document: OpenApiDocument }>} services
 * @param {{ info: Json, servers: Json[] }} top the merged document's own info and servers
 * @returns {MergedDocument}
 */
export const mergeDocuments = (services, { info, servers }) => {
  /** @type {string[]} */
  const clashes = [];
  // Behind one host a URL has one owner, even when two services would describe it alike.
  /** @type {Record<string, PathItem>} */
  const paths = {};
  /** @type {Map<string, string>} */
  const pathOwners = new Map();
  for (const { name, document } of services) {
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      if (pathOwners.has(path)) clashes.push(`path "${path}" is declared by both ${pathOwners.get(path)} and ${name}`);
      else pathOwners.set(path, name);
      paths[path] ??= item;
    }
  }
  /** @type {Map<string, string>} */
  const operationIds = new Map();
  for (const { name, document } of services) {
    for (const { operation } of operationsOf(document)) {
      const id = operation.operationId;
      if (id === undefined) continue;
      if (operationIds.has(id)) clashes.push(`operationId "${id}" is used by both ${operationIds.get(id)} and ${name}`);
      else operationIds.set(id, name);
    }
  }
  const componentTypes = [...new Set(services.flatMap(({ document }) => Object.keys(document.components ?? {})))].sort();
  const components = Object.fromEntries(
    componentTypes.map((type) => [
      type,
      pool(
        services.map(({ name, document }) => [name, document.components?.[type]]),
        `components.${type}`,
        clashes,
      ),
    ]),
  );
  const tags = Object.values(
    pool(
      services.map(({ name, document }) => [name, Object.fromEntries((document.tags ?? []).map((tag) => [tag.name, tag]))]),
      'tag',
      clashes,
    ),
  );
  if (clashes.length > 0) throw new Error(`The services' OpenAPI documents cannot be merged:\n  - ${[...new Set(clashes)].join('\n  - ')}`);
  const versions = new Set(services.map(({ document }) => document.openapi));
  if (versions.size > 1) throw new Error(`The services' documents use different OpenAPI versions: ${[...versions].join(', ')}`);
  return { openapi: [...versions][0] ?? '3.1.0', info, servers, tags, paths, components };
};
