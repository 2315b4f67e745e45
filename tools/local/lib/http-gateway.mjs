// The one local HTTP entry point: every service runs under its own
// serverless-offline on its own port, but clients will call all of them
// through one custom domain in AWS. This gateway routes each request to the
// service whose API Gateway HTTP API (payload 2.0) declares its route, with
// API Gateway's precedence rules, so local calls look like the deployed ones.
import http from 'node:http';
import { pipeline } from 'node:stream';
import { resourcesOfType } from './cfn.mjs';

const UPSTREAM_HOST = '127.0.0.1';
const MAX_ECHOED_PATH = 200;
// serverless-offline (hapi on Node's defaults) closes idle connections after
// 5 s; dropping ours a second earlier means a request is never written to a
// socket the upstream is closing at that moment (a spurious 502).
const UPSTREAM_IDLE_MS = 4_000;

// Headers that describe one connection, not the message: they must not cross
// the gateway. Transfer-Encoding does cross towards the upstream, because
// Node frames a streamed request body by it (a DELETE with a chunked body
// would lose its framing without it).
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade'];
const HOP_BY_HOP_RESPONSE = [...HOP_BY_HOP, 'transfer-encoding'];

const LITERAL = 0;
const PARAM = 1;
const GREEDY = 2;

/**
 * The HTTP API routes a compiled service template declares. `$default` is
 * left out: it is a catch-all for one API, and several services' catch-alls
 * cannot share one port (nor one custom domain) without one of them
 * swallowing the other's traffic.
 */
export const routesFromTemplate = (template, service) =>
  resourcesOfType(template, 'AWS::ApiGatewayV2::Route')
    .map(([logicalId, resource]) => [logicalId, resource.Properties?.RouteKey])
    .filter(([, routeKey]) => routeKey !== '$default')
    .map(([logicalId, routeKey]) => parseRouteKey(routeKey, `${service}: ${logicalId}`))
    .map(({ method, path }) => ({ service, method, path }));

const parseRouteKey = (routeKey, where) => {
  const match = typeof routeKey === 'string' ? /^(\S+) (\/\S*)$/.exec(routeKey) : null;
  if (!match) throw new Error(`${where} has a RouteKey the local gateway cannot route: ${JSON.stringify(routeKey)}`);
  return { method: match[1].toUpperCase(), path: match[2] };
};

const compileSegment = (segment, index, segments, where) => {
  const greedy = /^\{([^{}]+)\+\}$/.exec(segment);
  if (greedy) {
    if (index !== segments.length - 1) throw new Error(`${where}: a greedy {${greedy[1]}+} must be the last path segment`);
    return { kind: GREEDY, name: greedy[1] };
  }
  const param = /^\{([^{}]+)\}$/.exec(segment);
  return param ? { kind: PARAM, name: param[1] } : { kind: LITERAL, value: segment };
};

const compileRoute = (route) => {
  const where = `${route.service}: ${route.method} ${route.path}`;
  if (typeof route.path !== 'string' || !route.path.startsWith('/')) throw new Error(`${where}: a route path must start with /`);
  const pattern = route.path
    .split('/')
    .slice(1)
    .map((segment, index, segments) => compileSegment(segment, index, segments, where));
  // API Gateway treats /items/{id} and /items/{itemId} as the same route.
  const shape = pattern.map((part) => (part.kind === LITERAL ? part.value : part.kind === PARAM ? '{}' : '{+}')).join('/');
  return { route, method: route.method.toUpperCase(), pattern, key: `${route.method.toUpperCase()} /${shape}` };
};

/**
 * API Gateway's order: segment by segment from the left, a literal beats a
 * {param}, which beats a greedy {name+}; on the same path an explicit method
 * beats ANY. Sorting once makes the first match the most specific one.
 */
const bySpecificity = (a, b) => {
  const shared = Math.min(a.pattern.length, b.pattern.length);
  for (let index = 0; index < shared; index += 1) {
    const difference = a.pattern[index].kind - b.pattern[index].kind;
    if (difference !== 0) return difference;
  }
  if (a.pattern.length !== b.pattern.length) return b.pattern.length - a.pattern.length;
  return (a.method === 'ANY') - (b.method === 'ANY');
};

// Params are for whoever reads the match; a malformed escape is kept as sent
// rather than failing the request (the upstream decodes the path on its own).
const decode = (text) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

/** Path params when `segments` (decoded) fit `pattern`, else undefined. */
const matchPattern = (pattern, segments) => {
  const params = [];
  for (const [index, part] of pattern.entries()) {
    if (part.kind === GREEDY) {
      const rest = segments.slice(index).join('/');
      if (rest === '') return undefined;
      params.push([part.name, rest]);
      return Object.fromEntries(params);
    }
    const segment = segments[index];
    if (segment === undefined) return undefined;
    if (part.kind === LITERAL ? segment !== part.value : segment === '') return undefined;
    if (part.kind === PARAM) params.push([part.name, segment]);
  }
  return pattern.length === segments.length ? Object.fromEntries(params) : undefined;
};

const assertNoDuplicates = (compiled) => {
  const seen = new Map();
  for (const entry of compiled) {
    const earlier = seen.get(entry.key);
    if (earlier) {
      throw new Error(
        `The route ${entry.key} is declared by both ${earlier.route.service} (${earlier.route.path}) and ` +
          `${entry.route.service} (${entry.route.path}); behind one domain only one of them could answer it`,
      );
    }
    seen.set(entry.key, entry);
  }
};

/**
 * match(method, pathname) → { route, params } for the most specific route;
 * { allowedMethods } when routes have that path but not that method;
 * undefined when no route has that path. matchPath(pathname) ignores the method.
 */
export const createRouter = (routes) => {
  const compiled = routes.map(compileRoute);
  assertNoDuplicates(compiled);
  compiled.sort(bySpecificity);

  const candidates = (pathname) => {
    const segments = pathname.split('/').slice(1).map(decode);
    return compiled.flatMap((entry) => {
      const params = matchPattern(entry.pattern, segments);
      return params ? [{ entry, params }] : [];
    });
  };

  const match = (method, pathname) => {
    const found = candidates(pathname);
    if (found.length === 0) return undefined;
    const wanted = method.toUpperCase();
    const hit = found.find(({ entry }) => entry.method === wanted || entry.method === 'ANY');
    if (hit) return { route: hit.entry.route, params: hit.params };
    return { allowedMethods: [...new Set(found.map(({ entry }) => entry.method))].sort() };
  };

  const matchPath = (pathname) => {
    const [first] = candidates(pathname);
    return first && { route: first.entry.route, params: first.params };
  };

  return { match, matchPath };
};

const errorBody = (code, message) => ({ error: { code, message } });

const shorten = (text) => (text.length > MAX_ECHOED_PATH ? `${text.slice(0, MAX_ECHOED_PATH)}…` : text);

export const notFoundBody = (method, path) => errorBody('NOT_FOUND', `No route for ${method} ${shorten(path)}`);

export const badGatewayBody = (service) => errorBody('BAD_GATEWAY', `The ${service} service is not reachable`);

const sendJson = (res, status, body) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

const withoutHopByHop = (headers, hopByHop) => {
  // A Connection header may name more headers that belong to this hop only.
  const named = String(headers.connection ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase());
  const dropped = new Set([...hopByHop, ...named]);
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !dropped.has(name)));
};

const upstreamHeaders = (req, upstreamPort) => {
  const headers = withoutHopByHop(req.headers, HOP_BY_HOP);
  const forwardedFor = [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', ');
  return {
    ...headers,
    host: `${UPSTREAM_HOST}:${upstreamPort}`,
    ...(forwardedFor && { 'x-forwarded-for': forwardedFor }),
    'x-forwarded-proto': 'http',
    ...(req.headers.host && { 'x-forwarded-host': req.headers.host }),
  };
};

// Once the status line is out a clean error response is impossible: cutting
// the connection is the only way to tell the client its response is broken.
const failUpstream = (res, service) => {
  if (res.writableFinished || res.destroyed) return;
  if (res.headersSent) res.destroy();
  else sendJson(res, 502, badGatewayBody(service));
};

const relayResponse = (answer, res) => {
  res.writeHead(answer.statusCode, answer.statusMessage, withoutHopByHop(answer.headers, HOP_BY_HOP_RESPONSE));
  // On failure pipeline destroys both ends, which is what a broken relay needs.
  pipeline(answer, res, () => undefined);
};

/**
 * forward(req, res, route): relays one request to its service's
 * serverless-offline and streams the answer back. Never rejects; settles once
 * the response is over (complete, failed, or abandoned by the client), so a
 * wrapper such as a per-function concurrency limit can hold a slot until then.
 * (After an abandon serverless-offline may still be running the handler.)
 */
export const createForwarder = ({ upstreams, agent }) => (req, res, route) =>
  new Promise((resolve) => {
    const port = upstreams.get(route.service);
    const headers = upstreamHeaders(req, port);
    const upstream = http.request({ host: UPSTREAM_HOST, port, method: req.method, path: req.url, headers, agent });
    upstream.on('response', (answer) => relayResponse(answer, res));
    upstream.on('error', () => failUpstream(res, route.service));
    res.once('close', () => {
      // The client left: nobody is waiting for the upstream's work any more.
      if (!res.writableFinished) upstream.destroy();
      resolve();
    });
    req.pipe(upstream);
  });

const pathOf = (url) => (url.startsWith('/') ? url.split('?', 1)[0] : undefined);

/**
 * The route a request goes to. A method the path has no route for is a 404,
 * as in API Gateway; CORS preflights go to the service that routes the path
 * (preferably for the method the browser asks about), and serverless-offline
 * answers them with that service's CORS settings.
 */
const routeFor = (router, req, pathname) => {
  const found = router.match(req.method, pathname);
  if (found?.route || req.method !== 'OPTIONS') return found?.route;
  const requested = req.headers['access-control-request-method'];
  return (requested && router.match(requested, pathname)?.route) || router.matchPath(pathname)?.route;
};

const outcomeOf = (res) => {
  if (res.writableFinished) return String(res.statusCode);
  return res.headersSent ? `${res.statusCode} (response cut off)` : 'client closed';
};

const toMap = (upstreams) => (upstreams instanceof Map ? upstreams : new Map(Object.entries(upstreams)));

const assertUpstreams = (routes, upstreams) => {
  const missing = [...new Set(routes.map((route) => route.service))].filter((service) => !upstreams.has(service));
  if (missing.length > 0) throw new Error(`No upstream port for ${missing.join(', ')}: their routes would have nowhere to go`);
};

/**
 * Keeps count of the requests in flight on each client connection, so that a
 * closing gateway can end the idle ones at once: Node's closeIdleConnections
 * misses a connection that has not sent a request yet (browsers and fetch open
 * spare ones), and would leave a connection that is busy at close() open
 * until its keep-alive timeout.
 */
const trackConnections = (server) => {
  const inFlight = new Map();
  let closing = false;
  const endIfIdle = (socket) => {
    if (closing && inFlight.get(socket) === 0) socket.destroy();
  };
  server.on('connection', (socket) => {
    inFlight.set(socket, 0);
    socket.once('close', () => inFlight.delete(socket));
  });
  server.on('request', (req, res) => {
    const { socket } = req;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    res.once('close', () => {
      inFlight.set(socket, inFlight.get(socket) - 1);
      endIfIdle(socket);
    });
  });
  return () => {
    closing = true;
    [...inFlight.keys()].forEach(endIfIdle);
  };
};

const listen = (server, port, host) =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });

export const startHttpGateway = async ({ port, host = '127.0.0.1', routes, upstreams, log = console.log }) => {
  const router = createRouter(routes);
  const ports = toMap(upstreams);
  assertUpstreams(routes, ports);
  const agent = new http.Agent({ keepAlive: true, timeout: UPSTREAM_IDLE_MS });
  const forward = createForwarder({ upstreams: ports, agent });

  const handle = (req, res) => {
    const started = performance.now();
    // A client gone mid-request surfaces as errors on these: expected, never fatal.
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    const pathname = pathOf(req.url);
    const route = pathname === undefined ? undefined : routeFor(router, req, pathname);
    res.once('close', () => {
      const target = route ? route.service : 'no route';
      log(`${req.method} ${shorten(pathname ?? req.url)} → ${target} ${outcomeOf(res)} (${Math.round(performance.now() - started)} ms)`);
    });
    if (!route) return sendJson(res, 404, notFoundBody(req.method, pathname ?? req.url));
    return forward(req, res, route);
  };

  const server = http.createServer(handle);
  const endIdleConnections = trackConnections(server);
  const boundPort = await listen(server, port, host);

  let closing;
  const close = () => {
    closing ??= new Promise((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      endIdleConnections();
      // Also ends requests still waiting on an upstream, so close never hangs on one.
      agent.destroy();
    });
    return closing;
  };

  return { port: boundPort, close };
};
