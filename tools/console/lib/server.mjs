// The local console: one small HTTP server that `npm start` mounts beside the
// gateway (tools/local-stack/start.mjs). It serves the page (tools/console/public,
// plain ES modules, nothing fetched from the network), the hops the local
// runtime records (live over server-sent events), and JSON endpoints for
// flows, queues and DLQs (through tools/dlq/lib, the `npm run dlq` code), the
// services' tables (read-only) and replay. It exists only locally: nothing of
// it is bundled into a function or deployed.
//
// It listens on 127.0.0.1 only, answers only requests addressed to localhost
// (a page elsewhere cannot reach it through DNS rebinding), and takes changes
// (redrive, purge, replay) only as JSON POSTs from its own origin.
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DlqError } from '@platform/dlq/lib/index';
import { loadContracts } from './contracts.mjs';
import { createHopViews, envelopeOf, flowEntries, groupFlows, hopMatches, publishedEnvelopeOf, searchFlows, summarizeFlow } from './hops.mjs';
import { createQueues } from './queues.mjs';
import { createReplay, validateEvent } from './replay.mjs';
import { TableError, createTables } from './tables.mjs';
import { listen } from '@platform/local-runtime/stack/listen';

const PUBLIC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../public');
/** @type {Record<string, string>} */
const CONTENT_TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };
const STATIC_FILE = /^\/(?:[a-z0-9-]+\/)*[a-z0-9-]+\.(?:html|js|css|svg)$/;
const MAX_BODY_BYTES = 256 * 1024;
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

class HttpError extends Error {
  /** @param {number} status @param {string} message @param {Record<string, unknown>} [extra] */
  constructor(status, message, extra = {}) {
    super(message);
    this.status = status;
    this.extra = extra;
  }
}

/** @param {http.ServerResponse} res @param {number} status @param {unknown} body */
const sendJson = (res, status, body) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
};

/** @param {http.IncomingMessage} req @returns {Promise<any>} */
const readJson = async (req) => {
  if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) throw new HttpError(415, 'send JSON (content-type: application/json)');
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `the body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch {
    throw new HttpError(400, 'the body is not JSON');
  }
};

/**
 * A hop as the page gets it: the view without what only the server uses (its search text, its entities per record).
 * @param {import('./hops.mjs').FlowEntry} entry
 */
const forPage = (entry) => {
  const shown = { ...entry };
  delete shown.terms;
  delete shown.entityRefs;
  delete shown.refFlows;
  delete shown.flowKey;
  return shown;
};

/**
 * @param {{ port: number, anyPortIfTaken?: boolean, host?: string,
 *   recorder: ReturnType<typeof import('@platform/local-runtime/stack/recorder').createRecorder>,
 *   stacks: Array<{ name: string, template: any, resolve?: (value: any) => any }>,
 *   dynamodbEndpoint: string, snsSqsEndpoint: string,
 *   inspectQueue?: (name: string) => any, log?: (line: string) => void }} options
 */
export const startConsole = async ({ port, anyPortIfTaken = false, host = '127.0.0.1', recorder, stacks, dynamodbEndpoint, snsSqsEndpoint, inspectQueue, log = console.log }) => {
  const services = stacks.map((stack) => stack.name);
  // Flows join on the entity keys the event contracts declare; without them, on correlation ids alone.
  const { entityKeys, dataSchemas } = await loadContracts().then(
    (contracts) => ({
      entityKeys: contracts.EVENT_ENTITY_KEYS,
      // Each type's data schema, to name the entity an answer is (hops.mjs).
      dataSchemas: Object.fromEntries(Object.entries(contracts.EventSchemas).map(([type, schema]) => [type, /** @type {any} */ (schema).shape?.data])),
    }),
    (error) => {
      log(`console: cannot load the event contracts (libs/events/src/contracts.ts), so flows join by correlation id only: ${error?.message ?? error}`);
      return { entityKeys: {}, dataSchemas: {} };
    },
  );
  const views = createHopViews({ services, entityKeys, dataSchemas });
  const queues = createQueues({ snsSqsEndpoint, services, inspectQueue });
  const tables = createTables({ stacks, endpoint: dynamodbEndpoint });
  const replay = createReplay({ stacks, snsSqsEndpoint });
  /** @type {Set<http.ServerResponse>} */
  const live = new Set();
  let boundPort = port;

  const allViews = () => recorder.hops().map(views.view);

  /** The envelopes a hop carried: a delivery's, a replay's, each message's of a publish. @param {import('@platform/local-runtime/stack/recorder').Hop} hop @returns {any[]} */
  const envelopesOf = (hop) =>
    hop.kind === 'sqs'
      ? [envelopeOf(/** @type {any} */ (hop.message)?.Body)]
      : hop.kind === 'replay'
        ? [hop.event]
        : hop.kind === 'publish' && Array.isArray(hop.messages)
          ? hop.messages.map((/** @type {any} */ message) => publishedEnvelopeOf(message?.body)).reverse()
          : [];

  /** The envelope of each recorded event, newest publish or delivery first, one per id. */
  const recordedEvents = () => {
    /** @type {Map<string, { at: number, envelope: any }>} */
    const found = new Map();
    for (const hop of recorder.hops().reverse()) {
      for (const envelope of envelopesOf(hop)) {
        if (!envelope || typeof envelope.id !== 'string' || found.has(envelope.id)) continue;
        found.set(envelope.id, { at: hop.at, envelope });
      }
    }
    return [...found.values()];
  };

  /** @param {http.IncomingMessage} req @param {http.ServerResponse} res @param {URL} url */
  const api = async (req, res, url) => {
    let parts;
    try {
      parts = url.pathname.split('/').slice(2).map(decodeURIComponent);
    } catch {
      throw new HttpError(400, `bad path ${url.pathname}`);
    }
    const [resource, name, action] = parts;
    const method = req.method;
    if (method === 'GET' && resource === 'overview') {
      return sendJson(res, 200, { services, entityKeyNames: views.keyNames, busTopicArn: replay.topicArn, capacity: recorder.capacity, recorded: recorder.total });
    }
    if (method === 'GET' && resource === 'flows' && name === undefined) {
      const flows = searchFlows(allViews(), {
        q: url.searchParams.get('q') ?? '',
        service: url.searchParams.get('service') || undefined,
        failedOnly: url.searchParams.get('failed') === '1',
        limit: Number(url.searchParams.get('limit')) || 200,
      });
      return sendJson(res, 200, { flows, recorded: recorder.total, capacity: recorder.capacity });
    }
    if (method === 'GET' && resource === 'flows' && name !== undefined) {
      const hops = groupFlows(allViews()).get(name);
      if (!hops) throw new HttpError(404, `no flow ${name} among the last ${recorder.capacity} hops`);
      const filters = { service: url.searchParams.get('service') || undefined, failedOnly: url.searchParams.get('failed') === '1' };
      const entries = flowEntries(hops, name)
        .filter((entry) => entry.kind === 'event' || hopMatches(entry, filters))
        .map(forPage);
      return sendJson(res, 200, { flow: summarizeFlow(name, hops), entries });
    }
    if (method === 'GET' && resource === 'events' && name === undefined) {
      const type = url.searchParams.get('type');
      const q = (url.searchParams.get('q') ?? '').toLowerCase();
      const events = recordedEvents()
        .filter(({ envelope }) => (!type || envelope.type === type) && (!q || JSON.stringify(envelope).toLowerCase().includes(q)))
        .slice(0, 200)
        .map(({ at, envelope }) => ({ at, id: envelope.id, type: envelope.type, source: envelope.source, correlationId: envelope.correlationId }));
      return sendJson(res, 200, { events });
    }
    if (method === 'GET' && resource === 'events') {
      const event = recordedEvents().find(({ envelope }) => envelope.id === name);
      if (!event) throw new HttpError(404, `no recorded event ${name}`);
      return sendJson(res, 200, { event: event.envelope });
    }
    if (method === 'POST' && resource === 'validate') {
      const { event } = await readJson(req);
      return sendJson(res, 200, await validateEvent(event));
    }
    if (method === 'POST' && resource === 'replay') {
      const { event, edited = false } = await readJson(req);
      const outcome = await replay.publish(event);
      if (!outcome.ok) return sendJson(res, 422, outcome);
      recorder.record({ kind: 'replay', at: Date.now(), event: outcome.event, messageId: outcome.messageId, edited: Boolean(edited) });
      log(`replayed ${outcome.event.type} ${outcome.event.id}${edited ? ' (edited)' : ''} to the bus`);
      return sendJson(res, 200, outcome);
    }
    if (method === 'GET' && resource === 'queues' && name === undefined) return sendJson(res, 200, { queues: await queues.list() });
    if (method === 'GET' && resource === 'queues' && name !== undefined && action === 'messages') return sendJson(res, 200, { messages: await queues.peek(name) });
    if (method === 'POST' && resource === 'queues' && name !== undefined && action === 'redrive') {
      await readJson(req);
      const result = await queues.redrive(name);
      log(`redrove ${result.moved} message(s) from ${name}`);
      return sendJson(res, 200, result);
    }
    if (method === 'POST' && resource === 'queues' && name !== undefined && action === 'purge') {
      const { confirm } = await readJson(req);
      if (confirm !== name) throw new HttpError(400, `to purge, send {"confirm": "${name}"}: purging deletes every message of the queue for good`);
      const result = await queues.purge(name);
      log(`purged ${name} (${result.purged} message(s))`);
      return sendJson(res, 200, result);
    }
    if (method === 'GET' && resource === 'tables' && name === undefined) return sendJson(res, 200, { tables: await tables.list() });
    if (method === 'GET' && resource === 'tables' && name !== undefined && action === 'row') {
      return sendJson(res, 200, await tables.get(name, Object.fromEntries(url.searchParams)));
    }
    if (method === 'GET' && resource === 'tables' && name !== undefined && action === undefined) {
      return sendJson(res, 200, await tables.scan(name, { limit: Number(url.searchParams.get('limit')) || 25, cursor: url.searchParams.get('cursor') || undefined }));
    }
    if (method === 'GET' && resource === 'live') return openLive(req, res, Number(url.searchParams.get('after')) || 0);
    throw new HttpError(404, `no ${method} ${url.pathname}`);
  };

  /** Server-sent events: every hop recorded after `after`, then each new one as it comes. */
  /** @param {http.IncomingMessage} req @param {http.ServerResponse} res @param {number} after */
  const openLive = (req, res, after) => {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    /** @param {import('@platform/local-runtime/stack/recorder').Hop} hop */
    const send = (hop) => {
      const view = forPage(views.view(hop));
      res.write(`id: ${view.seq}\nevent: hop\ndata: ${JSON.stringify(view)}\n\n`);
    };
    res.write('retry: 1000\n\n');
    for (const hop of recorder.hops({ after })) send(hop);
    const unsubscribe = recorder.subscribe(send);
    const heartbeat = setInterval(() => res.write(': still here\n\n'), 15_000);
    live.add(res);
    res.once('close', () => {
      unsubscribe();
      clearInterval(heartbeat);
      live.delete(res);
    });
  };

  /** @param {http.ServerResponse} res @param {string} pathname */
  const serveStatic = async (res, pathname) => {
    const file = pathname === '/' ? '/index.html' : pathname;
    if (!STATIC_FILE.test(file)) throw new HttpError(404, `no ${pathname}`);
    let body;
    try {
      body = await readFile(path.join(PUBLIC, file));
    } catch {
      throw new HttpError(404, `no ${pathname}`);
    }
    res.writeHead(200, { 'content-type': CONTENT_TYPES[path.extname(file)], 'content-length': body.length, 'cache-control': 'no-cache' });
    res.end(body);
  };

  /** @param {http.IncomingMessage} req @param {http.ServerResponse} res */
  const handle = async (req, res) => {
    const hostname = String(req.headers.host ?? '').replace(/:\d+$/, '');
    if (!LOCAL_HOSTS.has(hostname)) throw new HttpError(421, 'the console answers only requests to localhost');
    if (req.method === 'POST') {
      const origin = req.headers.origin;
      if (origin !== undefined && !LOCAL_HOSTS.has(URL.canParse(origin) ? new URL(origin).hostname : '')) {
        throw new HttpError(403, 'changes are taken only from the console itself');
      }
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith('/api/')) return api(req, res, url);
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `${req.method} is not allowed here`);
    return serveStatic(res, url.pathname);
  };

  const server = http.createServer((req, res) => {
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    handle(req, res).catch((error) => {
      if (res.headersSent) return res.destroy();
      if (error instanceof HttpError) return sendJson(res, error.status, { error: error.message, ...error.extra });
      if (error instanceof TableError) return sendJson(res, error.status, { error: error.message });
      if (error instanceof DlqError) return sendJson(res, error.code === 'UNKNOWN_QUEUE' ? 404 : 400, { error: error.message, code: error.code });
      log(`${req.method} ${req.url} failed: ${error?.stack ?? error}`);
      return sendJson(res, 500, { error: String(error?.message ?? error) });
    });
  });

  try {
    boundPort = await listen(server, port, host);
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error)?.code !== 'EADDRINUSE' || !anyPortIfTaken) throw error;
    boundPort = await listen(server, 0, host);
    log(`port ${port} is taken (another stack's console?): this console is on ${boundPort} instead; set CONSOLE_PORT to choose`);
  }

  let closing;
  return {
    url: `http://localhost:${boundPort}`,
    port: boundPort,
    close: () => {
      closing ??= new Promise((resolve) => {
        for (const res of live) res.destroy();
        server.close(() => resolve(undefined));
        server.closeAllConnections();
        queues.close();
        tables.close();
        replay.close();
      });
      return closing;
    },
  };
};
