// The API reference the local gateway serves (lib/api-docs.mjs): /openapi.json
// and a /docs page rendered by `redocly build-docs`, over a real socket. The
// page must need nothing from the network: no script, stylesheet, font or
// preload from an http(s) URL, Redoc's script inlined, and a policy that
// keeps the browser from fetching anything remote.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createApiDocs, DOCS_CSP } from '../gateway/api-docs.mjs';

// Rendering takes about a second on an idle machine; far more under `npm test`'s parallel load.
const RENDER_TIMEOUT_MS = 120_000;

const DOCUMENT = {
  openapi: '3.1.0',
  info: { title: 'Docs test API', version: '1.0.0', description: 'A document made for this test.' },
  servers: [{ url: 'http://localhost:3000' }],
  paths: {
    '/things/{id}': {
      get: {
        operationId: 'getThing',
        summary: 'Get a thing',
        parameters: [{ in: 'path', name: 'id', required: true, schema: { type: 'string' } }],
        responses: { 200: { description: 'The thing', content: { 'application/json': { schema: { type: 'object', properties: { id: { type: 'string' } } } } } } },
      },
    },
  },
};

/** A server that lets api-docs answer what it takes and 404s the rest, as the gateway would. */
const serve = async (docs) => {
  const server = http.createServer((req, res) => {
    if (!docs.handle(req, res)) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":{"code":"NOT_FOUND","message":"not here"}}');
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${server.address().port}` };
};

/** Every URL the HTML would load as a resource: script src, link href (stylesheets, preloads, icons, fonts), CSS url() and @import. */
const resourceUrls = (html) => [
  ...[...html.matchAll(/<script\b[^>]*\bsrc\s*=\s*["']([^"']+)["']/gi)].map((m) => m[1]),
  ...[...html.matchAll(/<link\b[^>]*\bhref\s*=\s*["']([^"']+)["']/gi)].map((m) => m[1]),
  ...[...html.matchAll(/url\(\s*["']?([^"')\s]+)["']?\s*\)/gi)].map((m) => m[1]),
  ...[...html.matchAll(/@import\s+(?:url\()?\s*["']([^"']+)["']/gi)].map((m) => m[1]),
  // ES module imports from a URL (build-docs' default imports Redoc from its CDN this way).
  ...[...html.matchAll(/\bfrom\s*["'](https?:\/\/[^"']+)["']/gi)].map((m) => m[1]),
];

describe('the API reference', () => {
  let cacheDir;
  let site;
  const lines = [];

  before(async () => {
    cacheDir = mkdtempSync(path.join(tmpdir(), 'api-docs-'));
    site = await serve(createApiDocs({ openapi: DOCUMENT, cacheDir, log: (line) => lines.push(line) }));
  });
  after(() => {
    site?.server.close();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('serves the document at /openapi.json', async () => {
    const response = await fetch(`${site.url}/openapi.json`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await response.json(), DOCUMENT);
  });

  it('serves a page rendered by Redocly at /docs that loads nothing from the network', { timeout: RENDER_TIMEOUT_MS }, async () => {
    const response = await fetch(`${site.url}/docs`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(response.headers.get('content-security-policy'), DOCS_CSP);
    const html = await response.text();
    assert.match(html, /<title>Docs test API<\/title>/);
    assert.match(html, /Get a thing/, 'the operation is rendered');
    assert.match(html, /hydrate\(/, "Redoc's script is in the page");
    const remote = resourceUrls(html).filter((url) => /^(https?:)?\/\//i.test(url));
    assert.deepEqual(remote, [], 'the page loads scripts, styles or fonts from the network');
    // Only this origin, data: and blob: may be loaded; nothing remote of any kind.
    for (const directive of DOCS_CSP.split('; ')) assert.doesNotMatch(directive, /https?:|\*/, directive);
    assert.match(DOCS_CSP, /default-src 'none'/);
  });

  it('renders once per document: a second request, and a restart, reuse the page', { timeout: RENDER_TIMEOUT_MS }, async () => {
    assert.deepEqual(
      readdirSync(cacheDir).filter((name) => name.endsWith('.html')).length,
      1,
      'one page, under the document’s hash',
    );
    const started = performance.now();
    const again = await (await fetch(`${site.url}/docs`)).text();
    const restarted = await serve(createApiDocs({ openapi: () => structuredClone(DOCUMENT), cacheDir, log: () => undefined }));
    try {
      assert.equal(await (await fetch(`${restarted.url}/docs`)).text(), again);
    } finally {
      restarted.server.close();
    }
    assert.ok(performance.now() - started < 5_000, 'served from the cache, not rendered again');
  });

  it('leaves every other path to the gateway and answers other methods with 405', async () => {
    assert.equal((await fetch(`${site.url}/items`)).status, 404);
    assert.equal((await fetch(`${site.url}/docs/elsewhere`)).status, 404);
    const post = await fetch(`${site.url}/openapi.json`, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
  });

  it('answers 500 in the API’s error shape, and says why in the log, when the document cannot be made', async () => {
    const broken = await serve(
      createApiDocs({
        openapi: () => {
          throw new Error('schema broke');
        },
        cacheDir,
        log: (line) => lines.push(line),
      }),
    );
    try {
      const response = await fetch(`${broken.url}/openapi.json`);
      assert.equal(response.status, 500);
      assert.equal((await response.json()).error.code, 'INTERNAL');
      assert.ok(lines.some((line) => line.includes('schema broke')), lines.join('\n'));
    } finally {
      broken.server.close();
    }
  });
});

describe('the API reference of the services', () => {
  it('is generated from the services’ schemas when no document is given', { timeout: RENDER_TIMEOUT_MS }, async () => {
    const site = await serve(createApiDocs({ serverUrl: 'http://localhost:4321' }));
    try {
      const document = await (await fetch(`${site.url}/openapi.json`)).json();
      assert.deepEqual(document.servers.map((server) => server.url), ['http://localhost:4321']);
      assert.ok(document.paths['/items'] && document.paths['/orders'], Object.keys(document.paths).join(', '));
    } finally {
      site.server.close();
    }
  });
});
