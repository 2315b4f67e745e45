// One document for every service behind the one gateway, as clients see it:
// the services' paths side by side and their components pooled. Two services
// may declare the same component (each HTTP service keeps its own copy of the
// error shape and the security scheme) only if both render it identically;
// a path, an operationId or a differing component declared twice is an error,
// because behind one host only one of them could be true.
import { isDeepStrictEqual } from 'node:util';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** @param {Record<string, any>} document @returns {Array<{ method: string, path: string, operation: any }>} */
export const operationsOf = (document) =>
  Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    HTTP_METHODS.filter((method) => item?.[method]).map((method) => ({ method, path, operation: item[method] })),
  );

/** Pools `named` (service → map of name → value) into one map; a name with two different values is a clash. */
const pool = (named, what, clashes) => {
  const merged = {};
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
 * @param {Array<{ name: string, document: Record<string, any> }>} services
 * @param {{ info: Record<string, any>, servers: Array<Record<string, any>> }} top the merged document's own info and servers
 * @returns {Record<string, any>}
 */
export const mergeDocuments = (services, { info, servers }) => {
  const clashes = [];
  // Behind one host a URL has one owner, even when two services would describe it alike.
  const paths = {};
  const pathOwners = new Map();
  for (const { name, document } of services) {
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      if (pathOwners.has(path)) clashes.push(`path "${path}" is declared by both ${pathOwners.get(path)} and ${name}`);
      else pathOwners.set(path, name);
      paths[path] ??= item;
    }
  }
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
