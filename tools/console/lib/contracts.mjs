// The event contracts of libs/events (libs/events/src/contracts.ts), the one
// copy producers and consumers use: the zod schemas (for replay) and each
// type's entity keys (EVENT_ENTITY_KEYS, for joining hops into flows).
//
// The contracts are TypeScript, and Node runs no TypeScript. The cheapest
// robust way to use that one copy: esbuild (already the repo's bundler)
// bundles contracts.ts on first use, in ~20 ms, into a module under
// node_modules/.cache that imports the repo's own zod, which is loaded and
// deleted at once. No build step to forget, no copy of the contracts to drift.
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CONTRACTS = path.join(ROOT, 'libs/events/src/contracts.ts');

/**
 * @typedef {{ safeParse: (value: unknown) => { success: true, data: any } | { success: false, error: { issues: Array<{ path: PropertyKey[], message: string }> } } }} Schema
 * @typedef {{ EventSchemas: Record<string, Schema>, EVENT_TYPES: string[], EVENT_ENTITY_KEYS: import('./hops.mjs').EntityKeys }} Contracts
 */

/** @type {Promise<Contracts> | undefined} */
let contracts;

/** The event contracts of libs/events, bundled on first use. @returns {Promise<Contracts>} */
export const loadContracts = () => {
  const loading = (contracts ??= (async () => {
    const dir = path.join(ROOT, 'node_modules/.cache/platform-console');
    mkdirSync(dir, { recursive: true });
    const outfile = path.join(dir, `event-contracts.${process.pid}.${Date.now()}.mjs`);
    await build({ entryPoints: [CONTRACTS], outfile, bundle: true, format: 'esm', platform: 'node', target: 'node22', packages: 'external', logLevel: 'silent' });
    try {
      return await import(pathToFileURL(outfile).href);
    } finally {
      rmSync(outfile, { force: true });
    }
  })());
  loading.catch(() => {
    contracts = undefined;
  });
  return loading;
};
