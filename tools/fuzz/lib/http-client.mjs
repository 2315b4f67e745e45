// Raw HTTP/1.1 requests with node:http, not fetch: the fuzzer sends bytes
// fetch would refuse or rewrite (invalid UTF-8, duplicate headers, a chunked
// body with no content-length, a body on a GET) and reads whatever comes back.
import http from 'node:http';

/**
 * @typedef {object} RawRequest
 * @property {string} method
 * @property {string} path  sent as is: no normalisation, no encoding
 * @property {string[]} headers  flat [name, value, name, value…], duplicates kept, in order
 * @property {Buffer} [body]
 * @property {boolean} [chunked]  Transfer-Encoding: chunked instead of Content-Length
 * @property {boolean} [fresh]  a connection of its own (for bodies the server may stop reading)
 *
 * @typedef {object} RawResponse
 * @property {number} [status]  undefined when no response came
 * @property {import('node:http').IncomingHttpHeaders} headers
 * @property {Buffer} body
 * @property {number} ms
 * @property {string} [error]  the transport error or timeout, when there was no complete response
 */

const CHUNK = 64 * 1024;
/** Bodies above this are written a chunk at a time, and no more once an answer has come. */
const STREAMED = 1024 * 1024;
/** How long a large body waits, after its headers, for an answer that makes sending it moot. */
const EARLY_ANSWER_MS = 250;

/**
 * Writes the body and ends the request. A large one goes a chunk at a time, waiting for each to
 * drain, and stops as soon as the server has answered: a server that refuses a body without
 * reading it (413, or 404 before the body) closes the connection, and writing on would only
 * turn its answer into EPIPE.
 * @param {import('node:http').ClientRequest} req @param {Buffer} body @param {boolean} chunked @param {() => boolean} answered
 */
const writeBody = async (req, body, chunked, answered) => {
  if (body.length <= STREAMED && !chunked) {
    req.end(body.length > 0 ? body : undefined);
    return;
  }
  if (body.length > STREAMED) {
    // The headers alone may be enough for an answer (a Content-Length over the limit, a refused
    // token): wait for it a moment, as a client sending Expect: 100-continue does.
    req.flushHeaders();
    for (let waited = 0; waited < EARLY_ANSWER_MS && !answered() && !req.destroyed; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  for (let offset = 0; offset < body.length; offset += CHUNK) {
    if (answered() || req.destroyed) return;
    if (!req.write(body.subarray(offset, offset + CHUNK))) {
      await new Promise((resolve) => {
        const done = () => {
          req.off('drain', done);
          req.off('close', done);
          resolve(undefined);
        };
        req.on('drain', done);
        req.on('close', done);
      });
    }
  }
  if (!answered() && !req.destroyed) req.end();
};

/**
 * A client for one base URL over one keep-alive connection: the fuzzer sends
 * one request at a time, so a refused request is checked before the next.
 * @param {string} apiUrl
 * @param {{ timeoutMs?: number }} [options] timeoutMs: a request unanswered by then is a failure (a hang)
 */
export const createHttpClient = (apiUrl, { timeoutMs = 35_000 } = {}) => {
  const base = new URL(apiUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  /** @param {RawRequest} request @returns {Promise<RawResponse>} */
  const send = (request) =>
    new Promise((resolve) => {
      const started = performance.now();
      const body = request.body ?? Buffer.alloc(0);
      const framing = request.chunked ? ['transfer-encoding', 'chunked'] : body.length > 0 ? ['content-length', String(body.length)] : [];
      /** @type {{ status?: number, headers: import('node:http').IncomingHttpHeaders, chunks: Buffer[] }} */
      const partial = { headers: {}, chunks: [] };
      let settled = false;
      /** @param {string} [error] */
      const finish = (error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const complete = partial.status !== undefined && !error;
        resolve({
          status: partial.status,
          headers: partial.headers,
          body: Buffer.concat(partial.chunks),
          ms: performance.now() - started,
          ...(!complete && { error: error ?? 'no response' }),
        });
      };
      const req = http.request({
        host: base.hostname,
        port: base.port,
        method: request.method,
        path: request.path,
        // An array keeps duplicate headers as separate lines; it also means no Host unless given.
        headers: ['host', base.host, ...framing, ...request.headers],
        agent: request.fresh ? false : agent,
        setHost: false,
      });
      const timer = setTimeout(() => {
        finish(`no answer within ${timeoutMs} ms`);
        req.destroy();
      }, timeoutMs);
      req.on('response', (res) => {
        partial.status = res.statusCode;
        partial.headers = res.headers;
        res.on('data', (chunk) => partial.chunks.push(chunk));
        res.on('end', () => {
          finish();
          // A body cut short by an early answer leaves a request that cannot be finished.
          if (!req.writableFinished) req.destroy();
        });
        res.on('error', (error) => finish(error.message));
      });
      // A server that answers before reading the whole body (413, 401) may reset the
      // connection under the rest of it: a response already received still counts.
      req.on('error', (error) => {
        if (partial.status === undefined) return finish(error.message);
        // The response's end usually follows; give it a moment.
        return setTimeout(() => finish(partial.chunks.length > 0 ? undefined : error.message), 200);
      });
      void writeBody(req, body, request.chunked ?? false, () => partial.status !== undefined);
    });

  return { send, close: () => agent.destroy() };
};
