#!/usr/bin/env node
// `npm run openapi`: each HTTP service's OpenAPI 3.1 document, built from the
// zod schemas its handlers use (services/<svc>/src/api/openapi.ts), written to
// dist/openapi/<service>.openapi.json, plus dist/openapi/openapi.json with
// every service's paths behind the one local gateway (see merge.mjs).
//   --out DIR         write there instead of dist/openapi
//   --server-url URL  the servers entry (default http://localhost:3000, the local gateway)
//   --print           print the merged document to stdout and write nothing
//   --lint            then lint what was written with `redocly lint` (tools/openapi/redocly.yaml)
// generateOpenApi() does the same for the local gateway and the tests.
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mergeDocuments } from './merge.mjs';
import { documentedServices, loadServiceDocument, ROOT } from './service-documents.mjs';

export const DEFAULT_SERVER_URL = 'http://localhost:3000';
export const DEFAULT_OUT_DIR = path.join(ROOT, 'dist/openapi');
export const MERGED_FILE = 'openapi.json';
const REDOCLY_CONFIG = path.join(ROOT, 'tools/openapi/redocly.yaml');
const REDOCLY_CLI = path.join(ROOT, 'node_modules/@redocly/cli/bin/cli.js');
/** Redocly CLI reports usage and checks for updates unless told not to; nothing here calls out. */
export const REDOCLY_ENV = { REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_NOTIFICATIONS: 'true', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };

/** @import { Json, MergedDocument, OpenApiDocument } from './merge.mjs' */

/** @param {string} url */
const serversFor = (url) => [
  { url, description: "The local gateway (`npm start`). In AWS each service's HTTP API has its own URL (its stack's HttpApiUrl output)." },
];

// Written whole under a temporary name, then renamed: a reader running beside
// a generation (npm test runs tasks in parallel) never sees half a file.
/** @param {string} file @param {Json} value @returns {string} the file written */
const writeJson = (file, value) => {
  const scratch = `${file}.${process.pid}.tmp`;
  writeFileSync(scratch, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(scratch, file);
  return file;
};

/**
 * @param {{ serverUrl?: string, outDir?: string, write?: boolean }} [options]
 * @returns {Promise<{ services: Array<{ name: string, document: OpenApiDocument }>, merged: MergedDocument, files: string[] }>}
 */
export const generateOpenApi = async ({ serverUrl = DEFAULT_SERVER_URL, outDir = DEFAULT_OUT_DIR, write = true } = {}) => {
  const servers = serversFor(serverUrl);
  const services = await Promise.all(
    documentedServices().map(async (service) => ({ name: service.name, document: { ...(await loadServiceDocument(service)), servers } })),
  );
  const merged = mergeDocuments(services, {
    info: {
      title: 'Serverless platform API',
      version: '1.0.0',
      description: `Every HTTP service's routes as the local gateway serves them on one host: ${services.map(({ name }) => name).join(', ')}.`,
    },
    servers,
  });
  /** @type {string[]} */
  const files = [];
  if (write) {
    mkdirSync(outDir, { recursive: true });
    for (const { name, document } of services) files.push(writeJson(path.join(outDir, `${name}.openapi.json`), document));
    files.push(writeJson(path.join(outDir, MERGED_FILE), merged));
  }
  return { services, merged, files };
};

/**
 * Runs `redocly lint` on `files`; returns its exit code (its report goes to this process's output).
 * @param {string[]} files
 * @returns {number}
 */
export const lintOpenApi = (files) =>
  spawnSync(process.execPath, [REDOCLY_CLI, 'lint', '--config', REDOCLY_CONFIG, ...files], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, ...REDOCLY_ENV },
  }).status ?? 1;

const main = async () => {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, 'server-url': { type: 'string' }, print: { type: 'boolean' }, lint: { type: 'boolean' } },
  });
  const started = performance.now();
  const { merged, files } = await generateOpenApi({
    serverUrl: values['server-url'],
    outDir: values.out && path.resolve(values.out),
    write: !values.print,
  });
  if (values.print) {
    process.stdout.write(`${JSON.stringify(merged)}\n`);
    return;
  }
  console.log(`OpenAPI documents in ${Math.round(performance.now() - started)} ms: ${files.map((file) => path.relative(process.cwd(), file)).join(', ')}`);
  if (values.lint) {
    const linting = performance.now();
    const status = lintOpenApi(files);
    console.log(`redocly lint in ${Math.round(performance.now() - linting)} ms`);
    process.exitCode = status;
  }
};

// Run as a script, not when imported.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(error.message);
    process.exitCode = 1;
  });
}
