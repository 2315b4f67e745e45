// The one local HTTP entry point. In AWS each service has its own HTTP API
// (payload 2.0) behind one custom domain; here one gateway serves every
// service's routes, taken from their compiled templates, with API Gateway's
// precedence rules. It does what API Gateway does for a request: builds the
// payload 2.0 event, invokes the route's function (through the invoker, which
// caps each function's concurrency), and turns the function's answer, or its
// failure, into the response AWS would give.
import http from 'node:http';
import { isPreflight, preflightHeaders, withCorsHeaders } from './cors.mjs';
import { newRequestId, toHttpApiEvent } from './http-api-event.mjs';
import { INTERNAL_SERVER_ERROR, REQUEST_TOO_LARGE, SERVICE_UNAVAILABLE, toHttpResponse } from './http-api-response.mjs';
import { createRouter } from './http-routes.mjs';
import { describeWrites } from '../iam/write-log.mjs';
import { listen } from '../stack/listen.mjs';
import { usage } from '../stack/usage.mjs';

export { createRouter, routesFromTemplate } from './http-routes.mjs';

const MAX_ECHOED_PATH = 200;
/** HTTP APIs refuse request payloads over 10 MB. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** What a client should wait before retrying a throttled request, in seconds. */
const RETRY_AFTER_SECONDS = 1;
/** A request's log line says how long it waited for a free instance from this much on: below it, the wait is noise. */
const MIN_QUEUED_MS_LOGGED = 100;

/**
 * @typedef {import('@platform/local-runtime/types').Route} Route
 * @typedef {import('@platform/local-runtime/types').Log} Log
 * @typedef {ReturnType<typeof createRouter>} Router
 * @typedef {import('../iam/local-iam.mjs').WritesOf} WritesOf
 */

/** @param {string} code @param {string} message */
const errorBody = (code, message) => ({ error: { code, message } });

/** @param {string} text */
const shorten = (text) => (text.length > MAX_ECHOED_PATH ? `${text.slice(0, MAX_ECHOED_PATH)}…` : text);

/** @param {string | undefined} method @param {string} path */
export const notFoundBody = (method, path) => errorBody('NOT_FOUND', `No route for ${method} ${shorten(path)}`);

/** @param {http.ServerResponse} res @param {number} status @param {unknown} body @param {Record<string, string>} [headers] */
const sendJson = (res, status, body, headers = {}) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

export const tooManyRequestsBody = () => errorBody('TOO_MANY_REQUESTS', 'Too many requests are waiting for this route; retry shortly');

class BodyTooLargeError extends Error {}

/** The whole request body, refused as soon as it is known to exceed `limit` bytes. @param {http.IncomingMessage} req @param {number} limit */
const readBody = async (req, limit) => {
  if (Number(req.headers['content-length']) > limit) throw new BodyTooLargeError();
  /** @type {Buffer[]} */
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLargeError();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
};

/**
 * Sends `response`; returns why it could not, when it answered a 500 instead.
 * @param {http.ServerResponse} res
 * @param {{ statusCode: number, headers: Record<string, string>, cookies?: string[], body: Buffer }} response
 * @returns {string | undefined}
 */
const send = (res, { statusCode, headers, cookies = [], body }) => {
  if (res.destroyed || res.writableEnded) return undefined;
  // A 204 or 304 has no body, and so no length (RFC 9110 §8.6).
  const bodiless = statusCode === 204 || statusCode === 304;
  const all = { ...headers, ...(!bodiless && { 'content-length': body.length }), ...(cookies.length > 0 && { 'set-cookie': cookies }) };
  try {
    res.writeHead(statusCode, all);
  } catch (error) {
    // A header Node refuses to send (a control character, say) is a malformed response. writeHead
    // has set the headers before it, content-length among them: none of them may go out with the 500.
    for (const name of res.getHeaderNames()) if (name !== 'apigw-requestid') res.removeHeader(name);
    const answer = INTERNAL_SERVER_ERROR();
    res.writeHead(answer.statusCode, { ...answer.headers, 'content-length': answer.body.length });
    res.end(answer.body);
    return `malformed response: ${/** @type {Error} */ (error).message}`;
  }
  res.end(body);
  return undefined;
};

/** @param {string} url */
const pathOf = (url) => (url.startsWith('/') ? url.split('?', 1)[0] : undefined);

/** @param {http.IncomingMessage} req */
const sourceIpOf = (req) => req.socket.remoteAddress?.replace(/^::ffff:/, '');

/** Settles with `undefined` once the signal aborts; never rejects. @param {AbortSignal} signal @returns {Promise<undefined>} */
const aborted = (signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve(undefined), { once: true }));

/**
 * Answers a preflight as an API with a CorsConfiguration does; a path whose
 * API has none gets no special treatment (a 404 unless it routes OPTIONS).
 * @param {Router} router @param {http.IncomingMessage} req @param {string} pathname
 * @returns {(Route & { cors: import('@platform/local-runtime/types').CorsConfiguration }) | undefined}
 */
const corsRouteFor = (router, req, pathname) => {
  if (!isPreflight(req.method, req.headers)) return undefined;
  const target = router.match(String(req.headers['access-control-request-method']), pathname)?.route ?? router.matchPath(pathname)?.route;
  return target?.cors ? /** @type {Route & { cors: import('@platform/local-runtime/types').CorsConfiguration }} */ (target) : undefined;
};

/**
 * Runs the route's authorizer: the payload 2.0 `requestContext.authorizer` when
 * the caller may go on (undefined on a public route), or false once the
 * refusal has been sent, with why in `note`.
 * @param {{ route: Route, req: http.IncomingMessage, res: http.ServerResponse, authorize: import('@platform/local-runtime/types').Authorize, note: (why: string) => void }} request
 * @returns {Promise<Record<string, unknown> | undefined | false>}
 */
const authorizeRequest = async ({ route, req, res, authorize, note }) => {
  if (!route.auth) return undefined;
  /** @type {import('@platform/local-runtime/types').AuthVerdict} */
  let verdict;
  try {
    verdict = await authorize(route.auth, req.headers);
  } catch (error) {
    note(`the authorizer of ${route.routeKey} failed: ${/** @type {any} */ (error)?.message ?? error}`);
    send(res, INTERNAL_SERVER_ERROR());
    return false;
  }
  if (verdict.ok) return verdict.context;
  note(verdict.reason);
  sendJson(res, verdict.statusCode, errorBody(verdict.code, verdict.message), { 'www-authenticate': verdict.wwwAuthenticate });
  return false;
};

/** What the client got, in words: `500 {"message":"Internal Server Error"}`. @param {http.ServerResponse} res @param {string | undefined} body */
const answered = (res, body) => `${res.statusCode}${body ? ` ${body}` : ''}`;

/**
 * Why an invocation failed, in words, starting with the function's name.
 * @param {string} functionName @param {{ kind: string, error: string }} failure
 */
const failureText = (functionName, { kind, error }) => {
  if (kind === 'timeout') return `${functionName} timed out (${error})`;
  if (kind === 'unreachable') return `${functionName} could not be invoked (${error})`;
  if (kind === 'malformed') return `${functionName} answered a malformed response (${error})`;
  if (/^its runtime exited/.test(error)) return `${functionName} crashed (${error})`;
  return `${functionName} failed (${error})`;
};

/**
 * handle(req, res) for one request: route, authorize, invoke, answer. `log`
 * gets one line per request: the request, the service, the status and the
 * request id (which the client sees as apigw-requestid) and, when the request
 * was refused or failed, why, in the same line. When the function timed out,
 * crashed or failed, the line also says what the client got and, when
 * `writesOf` can tell (iam/write-log.mjs), whether the function wrote anything.
 * `extras` answer the gateway's own paths (the API document, the dev
 * issuer's keys) before any service route.
 * @param {{ router: Router, invoke: import('@platform/local-runtime/types').Invoke, authorize: import('@platform/local-runtime/types').Authorize, extras: import('@platform/local-runtime/types').GatewayExtra[], log: Log,
 *   recorder?: import('@platform/local-runtime/types').HopRecorder, writesOf?: WritesOf, failureHint?: string }} gateway
 * @returns {(req: http.IncomingMessage, res: http.ServerResponse) => Promise<unknown>}
 */
const createHandler = ({ router, invoke, authorize, extras, log, recorder, writesOf, failureHint }) => async (req, res) => {
  const started = performance.now();
  const receivedAt = Date.now();
  const requestId = newRequestId();
  // A client gone mid-request surfaces as errors on these: expected, never fatal.
  req.on('error', () => undefined);
  res.on('error', () => undefined);
  res.setHeader('apigw-requestid', requestId);
  const url = req.url ?? '/';
  const pathname = pathOf(url);
  if (pathname !== undefined && extras.some((extra) => extra(req, res, pathname))) {
    res.once('close', () => log(`${req.method} ${shorten(pathname)} → local ${res.statusCode} ${requestId}`));
    return undefined;
  }
  const found = pathname === undefined ? undefined : router.match(req.method ?? 'GET', pathname);
  const preflight = pathname === undefined ? undefined : corsRouteFor(router, req, pathname);
  const route = preflight ?? found?.route;
  /** Why the request was refused or failed, for its one line. @type {string | undefined} */
  let why;
  /** How the invocation failed, when it did: its kind, for the console. @type {string | undefined} */
  let failure;
  /** When the function ran and failed: what it wrote, once the emulators have answered. @type {Promise<string> | undefined} */
  let writes;
  /** The body the gateway itself answered, when short (an error of its own). @type {string | undefined} */
  let body;
  /** When the function ran: its invocation's time and whether it ran alone (the invoker tells). @type {import('../lambda/lambda-invoke.mjs').Run | undefined} */
  let ran;
  /** @param {string} text */
  const note = (text) => {
    why = text;
  };
  res.once('close', async () => {
    const target = route ? `${route.service}${preflight ? ' (CORS preflight)' : ''}` : 'no route';
    const outcome = res.writableFinished ? String(res.statusCode) : 'client closed';
    const durationMs = Math.round(performance.now() - started);
    // Time spent waiting for a free instance of the function: a local cap (lambda-invoke.mjs) Lambda's scaling does not have.
    const queuedMs = ran ? Math.max(0, ran.startedAt - receivedAt) : 0;
    const queued = queuedMs >= MIN_QUEUED_MS_LOGGED ? `, ${queuedMs} ms of it queued for a free instance` : '';
    const wrote = await writes;
    const tail = why
      ? `: ${why}${failure && res.writableFinished ? `, so the client got ${answered(res, body)}` : ''}${wrote ? `; ${wrote}` : ''}${failure && failureHint ? ` (${failureHint})` : ''}`
      : '';
    log(`${req.method} ${shorten(pathname ?? url)} → ${target} ${outcome} (${durationMs} ms${queued}) ${requestId}${tail}`);
    // API Gateway bills each request to a route, answered by the function or refused before it (cost model: stack/usage.mjs).
    if (route) usage.http({ route: preflight ? `OPTIONS ${route.path}` : route.routeKey ?? `${req.method} ${route.path}`, functionName: preflight ? '(CORS preflight)' : route.functionName, status: res.writableFinished ? res.statusCode : 0 });
    // For the local console (recorder.mjs).
    recorder?.record({
      kind: 'http',
      at: receivedAt,
      requestId,
      method: req.method,
      path: pathname ?? url,
      status: res.writableFinished ? res.statusCode : outcome,
      durationMs,
      ...(queuedMs > 0 && { queuedMs }),
      service: route?.service,
      functionName: preflight ? undefined : route?.functionName,
      ...(why && { why }),
      ...(failure && { failure }),
      ...(wrote && { writes: wrote }),
    });
  });

  if (preflight) {
    return send(res, { statusCode: 204, headers: preflightHeaders(preflight.cors, req.headers), body: Buffer.alloc(0) });
  }
  if (!route) return sendJson(res, 404, notFoundBody(req.method, pathname ?? url));

  const authorizer = await authorizeRequest({ route, req, res, authorize, note });
  if (authorizer === false) return undefined;

  /** @type {Buffer} */
  let requestBody;
  try {
    requestBody = await readBody(req, MAX_REQUEST_BYTES);
  } catch (error) {
    if (!(error instanceof BodyTooLargeError)) return undefined;
    // The rest of the body is never read: the connection cannot carry another request.
    res.setHeader('connection', 'close');
    note(`the request body is over ${MAX_REQUEST_BYTES} bytes`);
    return send(res, REQUEST_TOO_LARGE());
  }

  const event = toHttpApiEvent({
    method: /** @type {string} */ (req.method),
    url,
    rawHeaders: req.rawHeaders,
    body: requestBody,
    sourceIp: sourceIpOf(req),
    route,
    params: found?.params ?? {},
    requestId,
    receivedAt,
    authorizer,
  });
  const clientGone = new AbortController();
  res.once('close', () => clientGone.abort());
  const integrationTimeout = AbortSignal.timeout(route.timeoutMs);
  const stop = AbortSignal.any([clientGone.signal, integrationTimeout]);
  /** What the function wrote, in words: asked only when it failed. */
  const askWrites = () => {
    if (!writesOf || !ran) return undefined;
    const { startedAt, endedAt, alone } = ran;
    return writesOf({ functionName: route.functionName, marker: requestId, startedAt, endedAt, alone }).then(describeWrites, () => 'writes unknown');
  };
  // invoke rejects only with `stop`'s reason; any other rejection is answered as a failed invocation, never left hanging.
  const invoked = Promise.resolve()
    .then(() => invoke(route.functionName, event, { signal: stop, onRun: (run) => (ran = run) }))
    .catch((error) =>
      stop.aborted ? undefined : { ok: /** @type {const} */ (false), kind: /** @type {const} */ ('function-error'), error: `invoke failed: ${error?.message ?? error}` },
    );
  const result = await Promise.race([invoked, aborted(stop)]);

  if (result === undefined) {
    if (!integrationTimeout.aborted) return undefined;
    note(`${route.functionName} gave no answer within the integration timeout of ${route.timeoutMs} ms`);
    failure = 'integration-timeout';
    if (writesOf) writes = Promise.resolve('its writes are not known yet: it may still be running');
    const answer = SERVICE_UNAVAILABLE();
    body = answer.body.toString();
    return send(res, answer);
  }
  if (!result.ok && result.kind === 'throttled') {
    note(`${result.error}: not run`);
    res.setHeader('retry-after', String(RETRY_AFTER_SECONDS));
    return sendJson(res, 429, tooManyRequestsBody());
  }
  const { response, problem } = toHttpResponse(result);
  if (problem) {
    failure = result.ok ? 'malformed' : result.kind;
    note(failureText(route.functionName, result.ok ? { kind: 'malformed', error: problem.replace(/^(malformed response|function-error): /, '') } : result));
    body = response.body.toString();
    writes = askWrites();
  }
  const refused = send(res, { ...response, headers: withCorsHeaders(route.cors, req.headers, response.headers) });
  if (refused) {
    failure = 'malformed';
    note(failureText(route.functionName, { kind: 'malformed', error: refused.replace(/^malformed response: /, '') }));
    body = INTERNAL_SERVER_ERROR().body.toString();
    writes = askWrites();
  }
  return undefined;
};

/**
 * A request Node's HTTP parser refuses before the gateway sees it (raw bytes
 * above 0x7f in the request line, over 16 KiB of headers) still gets an answer
 * in the API's error shape and a log line, as every other request does.
 * @param {Log} log
 * @returns {(error: NodeJS.ErrnoException, socket: import('node:stream').Duplex) => void}
 */
const answerUnparsable = (log) => (error, socket) => {
  if (error.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const [status, reason, body] = tooLarge
    ? [431, 'Request Header Fields Too Large', errorBody('BAD_REQUEST', 'The request headers are larger than 16 KiB')]
    : [400, 'Bad Request', errorBody('BAD_REQUEST', 'The request is not valid HTTP')];
  const text = JSON.stringify(body);
  const requestId = newRequestId();
  log(`(unparsable request) → ${status} ${requestId}: ${error.code ?? error.message}`);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\n` +
      `apigw-requestid: ${requestId}\r\nconnection: close\r\n\r\n${text}`,
  );
  return undefined;
};

const noAuthorizer = async () => {
  throw new Error('this route has an authorizer, and the gateway was started without one');
};

/**
 * @param {{ port: number, host?: string, routes: Route[], invoke: import('@platform/local-runtime/types').Invoke, log?: Log,
 *   authorize?: import('@platform/local-runtime/types').Authorize, extras?: import('@platform/local-runtime/types').GatewayExtra[], recorder?: import('@platform/local-runtime/types').HopRecorder,
 *   writesOf?: WritesOf, failureHint?: string }} options
 *   authorize: the JWT authorizer (jwt-authorizer.mjs); without one, a route that has an authorizer answers 500, never runs unchecked.
 *   recorder: gets one `http` hop per request (recorder.mjs), for the local console.
 *   writesOf: what a function wrote (the local IAM layer's, iam/local-iam.mjs); without it, a failed request's line says nothing of its writes.
 *   failureHint: added to the line of a request whose function failed (where to find more).
 */
export const startHttpGateway = async ({ port, host = '127.0.0.1', routes, invoke, authorize = noAuthorizer, extras = [], log = console.log, recorder, writesOf, failureHint }) => {
  const router = createRouter(routes);
  const handle = createHandler({ router, invoke, authorize, extras, log, recorder, writesOf, failureHint });
  // A bug in the gateway itself still answers, as a 500, rather than leave the client hanging.
  const server = http.createServer((req, res) =>
    handle(req, res).catch((error) => {
      log(`${res.getHeader('apigw-requestid')} the gateway failed, answered 500: ${error?.stack ?? error}`);
      if (res.headersSent) return res.destroy();
      const answer = INTERNAL_SERVER_ERROR();
      res.writeHead(answer.statusCode, { ...answer.headers, 'content-length': answer.body.length });
      return res.end(answer.body);
    }),
  );
  server.on('clientError', answerUnparsable(log));
  const boundPort = await listen(server, port, host);

  /** @type {Promise<void> | undefined} */
  let closing;
  const close = () => {
    closing ??= new Promise((/** @type {(value?: void) => void} */ resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      // Idle keep-alive connections, and requests still waiting on a function, are cut off so close never hangs on one.
      server.closeAllConnections();
    });
    return closing;
  };

  return { port: boundPort, close };
};
