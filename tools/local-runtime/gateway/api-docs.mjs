// The API's reference on the local gateway: GET /openapi.json answers the
// merged OpenAPI document of every HTTP service (tools/openapi), and GET /docs
// a reference page rendered from it by Redocly (`redocly build-docs`).
//
// Nothing here runs at start: the document is generated on the first request
// for either (about half a second), and the page is rendered on the first GET
// /docs (about a second more) and kept, in memory and under dist/api-docs/
// keyed by the document's hash, so a restart with unchanged schemas reuses it.
//
// The page works offline and calls nowhere: build-docs runs with
// --inlineBundle, which embeds Redoc's script instead of loading it from
// Redocly's CDN (its default), and with telemetry off, which the page would
// otherwise send from the browser. One remote reference is left in Redoc
// 3.0.1's output, and no option removes it: the sidebar's "API docs by
// Redocly" logo, an <img> from Redocly's CDN that hides itself when it fails.
// The page is served with a Content-Security-Policy that allows nothing but
// itself (inline script and styles, data: and blob: URLs, this origin), so
// the browser refuses that request before it leaves the machine.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../stack/services.mjs';

export const DOCS_PATH = '/docs';
export const OPENAPI_PATH = '/openapi.json';
export const DEFAULT_CACHE_DIR = path.join(ROOT, 'dist/api-docs');
const REDOCLY_CLI = path.join(ROOT, 'node_modules/@redocly/cli/bin/cli.js');
const OPENAPI_GENERATOR = path.join(ROOT, 'tools/openapi/generate.mjs');
// Its `telemetry: off` keeps usage reports out of the CLI and out of the page it renders.
const REDOCLY_CONFIG = path.join(ROOT, 'tools/openapi/redocly.yaml');
const REDOCLY_ENV = { REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_NOTIFICATIONS: 'true', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };
const BUILD_TIMEOUT_MS = 60_000;
// Redoc's page needs its inline module script and styles, blob: workers (search) and data:
// images; it is allowed nothing remote. Redoc routes in the URL's #fragment, so /docs is its only path.
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'unsafe-inline' blob:",
  "style-src 'unsafe-inline'",
  "img-src 'self' data: blob:",
  'font-src data:',
  "connect-src 'self' blob:",
  'worker-src blob:',
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/**
 * Runs a Node script to completion; resolves with its stdout.
 * @param {string} what @param {string[]} args
 * @returns {Promise<string>}
 */
const runNode = (what, args) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...REDOCLY_ENV }, stdio: ['ignore', 'pipe', 'pipe'], timeout: BUILD_TIMEOUT_MS });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${what} failed (exit ${code}):\n${(stderr || stdout).slice(-2000)}`))));
  });

/**
 * The services' merged document, from tools/openapi's generator run as a child process: it
 * bundles every service's schemas with esbuild and loads zod-openapi, none of which needs to
 * stay in the gateway's process (whose CPU the bench measures).
 * @param {string} [serverUrl]
 * @returns {Promise<Record<string, any>>}
 */
export const generateMergedDocument = async (serverUrl) =>
  JSON.parse(await runNode('the OpenAPI generator', [OPENAPI_GENERATOR, '--print', ...(serverUrl ? ['--server-url', serverUrl] : [])]));

/**
 * The reference page of `document`: from the cache when this document was
 * rendered before, else rendered now. Returns the HTML.
 * @param {Record<string, any>} document
 * @param {{ cacheDir?: string }} [options]
 */
export const renderDocs = async (document, { cacheDir = DEFAULT_CACHE_DIR } = {}) => {
  const text = JSON.stringify(document);
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const page = path.join(cacheDir, `${hash}.html`);
  if (existsSync(page)) return readFileSync(page, 'utf8');
  mkdirSync(cacheDir, { recursive: true });
  // Scratch files of our own, renamed into place whole: two stacks of one checkout may render at once.
  const scratch = path.join(cacheDir, `${hash}.${process.pid}.tmp`);
  const input = `${scratch}.openapi.json`;
  writeFileSync(input, text);
  try {
    await runNode('redocly build-docs', [
      REDOCLY_CLI,
      'build-docs',
      input,
      '--inlineBundle',
      '--config',
      REDOCLY_CONFIG,
      '--output',
      scratch,
    ]);
    renameSync(scratch, page);
  } finally {
    rmSync(input, { force: true });
    rmSync(scratch, { force: true });
  }
  // Pages of older documents are never asked for again.
  for (const name of readdirSync(cacheDir)) if (name.endsWith('.html') && name !== path.basename(page)) rmSync(path.join(cacheDir, name), { force: true });
  return readFileSync(page, 'utf8');
};

/**
 * @param {import('node:http').ServerResponse} res @param {number} status @param {Record<string, string>} headers
 * @param {string} body @param {boolean} head
 */
const send = (res, status, headers, body, head) => {
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(head ? undefined : body);
};

/**
 * @param {import('node:http').ServerResponse} res @param {number} status @param {string} code @param {string} message
 * @param {Record<string, string>} [headers]
 */
const sendError = (res, status, code, message, headers = {}) =>
  send(res, status, { 'content-type': 'application/json', ...headers }, JSON.stringify({ error: { code, message } }), false);

/**
 * @param {{
 *   openapi?: Record<string, any> | (() => Record<string, any> | Promise<Record<string, any>>),
 *   serverUrl?: string,
 *   cacheDir?: string,
 *   log?: (line: string) => void,
 * }} [options] `openapi`: the merged document, or a function that makes it (called once, on
 *   first use). Without it the document is generated on first use from the services' schemas
 *   (generateMergedDocument), its server being `serverUrl` (the gateway's own URL).
 * @returns {{ handle: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => boolean }}
 *   handle() answers GET/HEAD /openapi.json and /docs and returns true; for any other path it
 *   does nothing and returns false.
 */
export const createApiDocs = ({ openapi, serverUrl, cacheDir = DEFAULT_CACHE_DIR, log = console.log } = {}) => {
  /** @returns {Promise<Record<string, any>>} */
  const make = async () => {
    if (openapi === undefined) return generateMergedDocument(serverUrl);
    return typeof openapi === 'function' ? openapi() : openapi;
  };
  // Each is made once and kept; a failure is not kept, so the next request tries again (after a fix to a schema, say).
  /**
   * @template T
   * @param {() => Promise<T>} build
   * @returns {() => Promise<T>}
   */
  const memo = (build) => {
    /** @type {Promise<T> | undefined} */
    let promise;
    return () =>
      (promise ??= build().catch((error) => {
        promise = undefined;
        throw error;
      }));
  };
  const documentJson = memo(async () => JSON.stringify(await make(), null, 2));
  const page = memo(async () => renderDocs(JSON.parse(await documentJson()), { cacheDir }));

  /**
   * @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res @param {string} pathname
   */
  const answer = async (req, res, pathname) => {
    const head = req.method === 'HEAD';
    try {
      if (pathname === OPENAPI_PATH) return send(res, 200, { 'content-type': 'application/json' }, await documentJson(), head);
      const started = performance.now();
      const body = await page();
      if (performance.now() - started > 100) log(`API reference rendered in ${Math.round(performance.now() - started)} ms`);
      return send(res, 200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': DOCS_CSP }, body, head);
    } catch (error) {
      log(`${pathname} failed: ${error instanceof Error ? error.message : String(error)}`);
      return sendError(res, 500, 'INTERNAL', `The API reference could not be built; the local stack's log says why`);
    }
  };

  /** @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res */
  const handle = (req, res) => {
    const pathname = (req.url ?? '').split('?', 1)[0];
    if (pathname !== OPENAPI_PATH && pathname !== DOCS_PATH && pathname !== `${DOCS_PATH}/`) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendError(res, 405, 'METHOD_NOT_ALLOWED', `${pathname} answers GET and HEAD only`, { allow: 'GET, HEAD' });
      return true;
    }
    void answer(req, res, pathname);
    return true;
  };

  return { handle };
};
