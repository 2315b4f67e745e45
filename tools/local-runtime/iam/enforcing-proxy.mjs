// A small HTTP proxy in front of one emulator: the functions call it instead
// of the emulator. A request signed with the admin key streams straight
// through; any other is read whole, authorized, and then either refused with
// AWS's error or forwarded byte for byte. Upstream connections are kept alive.
import http from 'node:http';
import { listen } from '../stack/listen.mjs';

/**
 * @typedef {object} Refusal  what to answer instead of forwarding
 * @property {number} status
 * @property {Record<string, string>} headers
 * @property {string} body
 *
 * @typedef {object} Authorizer
 * @property {(authorization: string | undefined) => boolean} passesThrough  requests signed so go unchecked (the admin key)
 * @property {(request: { headers: http.IncomingHttpHeaders, path: string, body: Buffer }) => Refusal | undefined} authorize
 * @property {(request: { headers: http.IncomingHttpHeaders, path: string, body: Buffer }, status: number) => void} [answered]
 *   told, with the object `authorize` was given, what the emulator answered a request it let through (0: no answer)
 */

/**
 * @param {{ upstreamPort: number, authorizer: Authorizer, port?: number }} options
 * @returns {Promise<{ port: number, close: () => Promise<void> }>}
 */
export const startEnforcingProxy = async ({ upstreamPort, authorizer, port = 0 }) => {
  const agent = new http.Agent({ keepAlive: true });

  /**
   * @param {http.IncomingMessage} request @param {http.ServerResponse} response @param {Buffer | http.IncomingMessage} body
   * @param {(status: number) => void} [answered]
   */
  const forward = (request, response, body, answered) => {
    const upstream = http.request(
      { host: '127.0.0.1', port: upstreamPort, method: request.method, path: request.url, headers: /** @type {any} */ (request.rawHeaders), agent },
      (answer) => {
        answered?.(answer.statusCode ?? 0);
        // The function is gone (timed out, crashed): its answer is drained, its outcome still known.
        if (response.destroyed) return void answer.resume();
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
      const call = { headers: request.headers, path: request.url ?? '/', body };
      const refusal = authorizer.authorize(call);
      if (!refusal) {
        forward(request, response, body, authorizer.answered && ((status) => authorizer.answered?.(call, status)));
        return;
      }
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
