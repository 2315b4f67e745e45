// Each HTTP service describes its API in TypeScript (services/<svc>/src/api/openapi.ts,
// exporting `openApiDocument()`), from the zod schemas its handlers use. This
// loads those modules from plain Node without a TS loader (tsx, ts-node): esbuild,
// already here for the functions, bundles each one in memory to ESM and Node
// imports the bundle from a data: URL. Everything is bundled (zod, zod-openapi,
// the libs through the service's tsconfig paths), because a data: URL module
// cannot resolve bare imports.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Where a service keeps its document module; a service without one has no HTTP API to document. */
export const DOCUMENT_MODULE = 'src/api/openapi.ts';

/** @import { OpenApiDocument } from './merge.mjs' */
/** @typedef {{ name: string, dir: string, module: string }} DocumentedService */

/**
 * The services (folders of services/ with a serverless.yml) that have a document module, by name.
 * @returns {DocumentedService[]}
 */
export const documentedServices = (root = ROOT) => {
  const servicesDir = path.join(root, 'services');
  return readdirSync(servicesDir)
    .filter((name) => existsSync(path.join(servicesDir, name, 'serverless.yml')) && existsSync(path.join(servicesDir, name, DOCUMENT_MODULE)))
    .sort()
    .map((name) => ({ name, dir: path.join(servicesDir, name), module: path.join(servicesDir, name, DOCUMENT_MODULE) }));
};

/**
 * Bundles `entry` with its imports and imports the result.
 * @param {string} entry a .ts file
 * @param {string} tsconfig whose `paths` resolve @platform/* to the libs' sources
 */
export const importTypeScript = async (entry, tsconfig) => {
  const result = await build({
    entryPoints: [entry],
    tsconfig,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    write: false,
    logLevel: 'silent',
    // A CommonJS dependency's require() of a Node builtin needs a require in ESM.
    banner: { js: `import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(${JSON.stringify(entry)});` },
  });
  const output = result.outputFiles?.[0];
  if (!output) throw new Error(`esbuild bundled nothing for ${entry}`);
  return import(`data:text/javascript;base64,${Buffer.from(output.contents).toString('base64')}`);
};

/** @param {DocumentedService} service @returns {Promise<OpenApiDocument>} what its openApiDocument() returns (not validated here: redocly lint does) */
export const loadServiceDocument = async (service) => {
  const loaded = await importTypeScript(service.module, path.join(service.dir, 'tsconfig.json'));
  if (typeof loaded.openApiDocument !== 'function') {
    throw new Error(`${path.relative(ROOT, service.module)} must export openApiDocument(), which returns the service's OpenAPI document`);
  }
  return loaded.openApiDocument();
};
