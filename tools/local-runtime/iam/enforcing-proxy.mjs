// A small HTTP proxy in front of one emulator: the functions call it instead
// of the emulator. A request signed with the admin key streams straight
// through; any other is read whole, authorized, and then either refused with
// AWS's error or forwarded as it was authorized: POST / with the Content-Type
// (and X-Amz-Target) of the protocol the layer read, and the body byte for
// byte. The method, path and those headers the caller sent never reach the
// emulator, which could otherwise serve another service or path than the one
// authorized (aws-request.mjs). Upstream connections are kept alive.
import http from 'node:http';
import { listen } from '../stack/listen.mjs';

/**
 * @typedef {object} Refusal  what to answer instead of forwarding
 * @property {number} status
 * @property {Record<string, string>} headers
 * @property {string} body
 *
 * @typedef {{ emulator: import('./aws-request.mjs').Emulator, method: string, headers: http.IncomingHttpHeaders, path: string, body: Buffer }} Call
 * @typedef {{ refused: Refusal } | { forwardHeaders: Record<string, string>, caller?: string, service?: string, operation?: string, resources?: string[] }} Decision
 *   forwardHeaders: the headers to send in place of the request's Content-Type and X-Amz-Target;
 *   caller, service, operation, resources: what was authorized, for the usage meter
 * @typedef {(call: { emulator: import('./aws-request.mjs').Emulator, service: string, functionName: string, operation: string, resources: string[], body: Buffer }) =>
 *   { body: Buffer, answer?: (status: number, headers: Record<string, string | string[] | undefined>, body: Buffer) => Buffer }} Meter
 *   counts an authorized call (usage-meter.mjs): the body to forward instead, and what to answer instead of the emulator's answer
 *
 * @typedef {object} Authorizer
 * @property {(authorization: string | undefined) => boolean} passesThrough  requests signed so go unchecked (the admin key)
 * @property {(request: Call) => Decision} authorize
 * @property {(request: Call, status: number) => void} [answered]
 *   told, with the object `authorize` was given, what the emulator answered a request it let through (0: no answer)
 */

// Headers of the caller's that the proxy replaces (or drops): what says which protocol and how the body is framed.
const REPLACED = new Set(['content-type', 'x-amz-target', 'content-length', 'transfer-encoding', 'content-encoding']);

/**
 * The caller's raw headers without those the proxy replaces, then its own.
 * @param {string[]} rawHeaders @param {Record<string, string>} own @param {Buffer} body
 */
const forwardedHeaders = (rawHeaders, own, body) => {
  const kept = [];
  for (let at = 0; at < rawHeaders.length; at += 2) {
    const name = /** @type {string} */ (rawHeaders[at]);
    if (!REPLACED.has(name.toLowerCase())) kept.push(name, /** @type {string} */ (rawHeaders[at + 1]));
  }
  for (const [name, value] of Object.entries(own)) kept.push(name, value);
  kept.push('content-length', String(body.length));
  return kept;
};

/**
 * Reads an answer whole, and sends back what `rewrite` makes of it, its length said anew.
 * @param {http.IncomingMessage} answer @param {http.ServerResponse} response @param {NonNullable<ReturnType<Meter>['answer']>} rewrite
 */
const rewriteAnswer = (answer, response, rewrite) => {
  /** @type {Buffer[]} */
  const chunks = [];
  answer.on('data', (chunk) => chunks.push(chunk));
  answer.on('error', () => response.destroy());
  answer.on('end', () => {
    /** @type {Record<string, string | string[] | undefined>} */
    const headers = {};
    for (const [name, value] of Object.entries(answer.headers)) if (name !== 'content-length' && name !== 'transfer-encoding') headers[name] = value;
    const status = answer.statusCode ?? 502;
    /** @type {Buffer} */
    let body = Buffer.concat(chunks);
    try {
      body = rewrite(status, headers, body);
    } catch {
      // the meter never breaks an answer: the emulator's goes back as it was
    }
    if (response.destroyed) return;
    response.writeHead(status, answer.statusMessage, { ...headers, 'content-length': String(body.length) });
    response.end(body);
  });
};

/**
 * @param {{ upstreamPort: number, emulator: import('./aws-request.mjs').Emulator, authorizer: Authorizer, port?: number, meter?: Meter }} options
 * @returns {Promise<{ port: number, close: () => Promise<void> }>}
 */
export const startEnforcingProxy = async ({ upstreamPort, emulator, authorizer, port = 0, meter }) => {
  const agent = new http.Agent({ keepAlive: true });

  /**
   * A request that passes through (body: the request itself) goes as it came; an authorized one (body: read whole) as `headers` say.
   * @param {http.IncomingMessage} request @param {http.ServerResponse} response @param {Buffer | http.IncomingMessage} body
   * @param {Record<string, string>} [headers] @param {(status: number) => void} [answered]
   * @param {ReturnType<Meter>['answer']} [rewrite]  the answer is read whole and this makes the one sent back
   */
  const forward = (request, response, body, headers, answered, rewrite) => {
    const as = Buffer.isBuffer(body)
      ? { method: 'POST', path: '/', headers: forwardedHeaders(request.rawHeaders, headers ?? {}, body) }
      : { method: request.method, path: request.url, headers: request.rawHeaders };
    const upstream = http.request(
      { host: '127.0.0.1', port: upstreamPort, method: as.method, path: as.path, headers: /** @type {any} */ (as.headers), agent },
      (answer) => {
        answered?.(answer.statusCode ?? 0);
        // The function is gone (timed out, crashed): its answer is drained, its outcome still known.
        if (response.destroyed) return void answer.resume();
        if (rewrite) return void rewriteAnswer(answer, response, rewrite);
        response.writeHead(answer.statusCode ?? 502, answer.statusMessage, /** @type {any} */ (answer.rawHeaders));
        answer.pipe(response);
      },
    );
    upstream.on('error', () => {
      answered?.(0);
      // The emulator is gone or dropped the connection: so does the proxy, and the SDK retries as it would.
      response.destroy();
    });
    response.on('close', () => {
      if (response.writableFinished) return;
      // The function went away before the answer. A request the emulator has is carried out
      // anyway (as AWS does when a client drops): the proxy waits a while for its answer, so
      // that the write log knows whether it wrote (write-log.mjs), rather than cut it off.
      if (!answered) return void upstream.destroy();
      upstream.setTimeout(60_000, () => upstream.destroy());
    });
    if (Buffer.isBuffer(body)) upstream.end(body);
    else body.pipe(upstream);
  };

  const server = http.createServer((request, response) => {
    if (authorizer.passesThrough(request.headers.authorization)) {
      forward(request, response, request);
      return;
    }
    /** @type {Buffer[]} */
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      /** @type {Call} */
      const call = { emulator, method: request.method ?? 'GET', headers: request.headers, path: request.url ?? '/', body };
      const decision = authorizer.authorize(call);
      if ('forwardHeaders' in decision) {
        const { caller, service, operation, resources = [] } = decision;
        const metered = meter && caller && service && operation ? meter({ emulator, service, functionName: caller, operation, resources, body }) : undefined;
        forward(request, response, metered?.body ?? body, decision.forwardHeaders, authorizer.answered && ((status) => authorizer.answered?.(call, status)), metered?.answer);
        return;
      }
      const refusal = decision.refused;
      response.writeHead(refusal.status, { ...refusal.headers, 'content-length': Buffer.byteLength(refusal.body) });
      response.end(refusal.body);
    });
  });
  const listening = await listen(server, port, '127.0.0.1');
  return {
    port: listening,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
      agent.destroy();
    },
  };
};
