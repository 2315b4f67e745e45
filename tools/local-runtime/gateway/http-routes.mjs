// The routes of every service's HTTP API, as API Gateway would match them.
// Each service's compiled template declares its routes (AWS::ApiGatewayV2::Route)
// and which function each one invokes; behind one domain, all of them share
// one router with API Gateway's precedence rules.
import { resourcesOfType } from '../cloudformation/cfn.mjs';

const LITERAL = 0;
const PARAM = 1;
const GREEDY = 2;

/**
 * @typedef {import('@platform/local-runtime/types').Route} Route
 * @typedef {import('@platform/local-runtime/types').CfnTemplate} CfnTemplate
 * @typedef {import('@platform/local-runtime/types').CfnResource} CfnResource
 * @typedef {{ kind: typeof LITERAL, value: string } | { kind: typeof PARAM | typeof GREEDY, name: string }} Part  one segment of a route's path
 * @typedef {{ route: Route, method: string, pattern: Part[], key: string }} CompiledRoute
 * @typedef {{ route: Route, params: Record<string, string>, allowedMethods?: undefined }
 *   | { route?: undefined, params?: undefined, allowedMethods: string[] }} Match
 */

// HTTP APIs give an integration 30 s at most (TimeoutInMillis' default and ceiling).
const MAX_INTEGRATION_TIMEOUT_MS = 30_000;

/** @param {any} value @param {'Ref' | 'Fn::GetAtt'} intrinsic @returns {string | undefined} */
const logicalIdIn = (value, intrinsic) => {
  if (intrinsic === 'Ref') return value?.Ref;
  const target = value?.['Fn::GetAtt'];
  return Array.isArray(target) ? target[0] : typeof target === 'string' ? target.split('.')[0] : undefined;
};

// A route's Target is "integrations/<integration id>", compiled as Fn::Join or a literal.
/** @param {any} target @returns {string | undefined} */
const integrationIdOf = (target) => {
  const parts = target?.['Fn::Join']?.[1];
  if (Array.isArray(parts)) return parts.map((part) => logicalIdIn(part, 'Ref')).find(Boolean);
  return typeof target === 'string' ? target.split('/').pop() : undefined;
};

/**
 * What a route invokes: the function behind its Lambda proxy integration,
 * that integration's timeout, and the CORS configuration of its API.
 * @param {CfnTemplate} template @param {CfnResource} route @param {string} where
 * @returns {{ functionName: string, timeoutMs: number, cors?: import('@platform/local-runtime/types').CorsConfiguration }}
 */
const integrationOf = (template, route, where) => {
  /** @type {Record<string, CfnResource | undefined>} */
  const resources = template.Resources ?? {};
  /** @param {string | undefined} id */
  const resource = (id) => (id === undefined ? undefined : resources[id]);
  const integration = resource(integrationIdOf(route.Properties?.Target));
  if (integration?.Type !== 'AWS::ApiGatewayV2::Integration' || integration.Properties?.IntegrationType !== 'AWS_PROXY') {
    throw new Error(`${where} has no Lambda proxy integration the local gateway can invoke`);
  }
  const { PayloadFormatVersion, IntegrationUri, TimeoutInMillis } = integration.Properties;
  if (String(PayloadFormatVersion) !== '2.0') {
    throw new Error(`${where}: the local gateway speaks payload format 2.0 only, got ${PayloadFormatVersion}`);
  }
  const fn = resource(logicalIdIn(IntegrationUri, 'Fn::GetAtt'));
  if (fn?.Type !== 'AWS::Lambda::Function' || typeof fn.Properties?.FunctionName !== 'string') {
    throw new Error(`${where}: its integration does not name a function of this template`);
  }
  const api = resource(logicalIdIn(route.Properties?.ApiId, 'Ref'));
  return {
    functionName: fn.Properties.FunctionName,
    timeoutMs: Math.min(TimeoutInMillis ?? MAX_INTEGRATION_TIMEOUT_MS, MAX_INTEGRATION_TIMEOUT_MS),
    cors: api?.Properties?.CorsConfiguration,
  };
};

/**
 * Who may call a route: undefined for a public one; for a JWT authorizer, the
 * issuer and audiences it trusts, where it reads the token, and the scopes the
 * route needs. Any other authorization type is refused at start: serving the
 * route without it would make it public.
 * @param {CfnTemplate} template @param {CfnResource} route @param {string} where
 * @returns {import('@platform/local-runtime/types').RouteAuth | undefined}
 */
const authOf = (template, route, where) => {
  const type = route.Properties?.AuthorizationType ?? 'NONE';
  if (type === 'NONE') return undefined;
  if (type !== 'JWT') throw new Error(`${where}: the local gateway enforces JWT authorizers only, not ${type}`);
  const authorizerId = logicalIdIn(route.Properties?.AuthorizerId, 'Ref');
  const authorizer = authorizerId === undefined ? undefined : template.Resources?.[authorizerId];
  const jwt = authorizer?.Properties?.JwtConfiguration;
  if (authorizer?.Type !== 'AWS::ApiGatewayV2::Authorizer' || typeof jwt?.Issuer !== 'string' || !Array.isArray(jwt.Audience)) {
    throw new Error(`${where}: its AuthorizerId does not name a JWT authorizer of this template with an issuer and audiences`);
  }
  const [identitySource] = authorizer.Properties?.IdentitySource ?? ['$request.header.Authorization'];
  return { issuer: jwt.Issuer, audience: jwt.Audience.map(String), scopes: route.Properties?.AuthorizationScopes ?? [], identitySource };
};

/**
 * The HTTP API routes a compiled service template declares, each with the
 * function it invokes and who may call it. `$default` is left out: it is a catch-all for one API,
 * and several services' catch-alls cannot share one port (nor one custom
 * domain) without one of them swallowing the other's traffic.
 * @param {CfnTemplate} template @param {string} service
 * @returns {Route[]}
 */
export const routesFromTemplate = (template, service) =>
  resourcesOfType(template, 'AWS::ApiGatewayV2::Route')
    .filter(([, resource]) => resource.Properties?.RouteKey !== '$default')
    .map(([logicalId, resource]) => {
      const where = `${service}: ${logicalId}`;
      const { method, path } = parseRouteKey(resource.Properties?.RouteKey, where);
      const auth = authOf(template, resource, where);
      return { service, method, path, routeKey: `${method} ${path}`, ...integrationOf(template, resource, where), ...(auth && { auth }) };
    });

/** @param {unknown} routeKey @param {string} where */
const parseRouteKey = (routeKey, where) => {
  const match = typeof routeKey === 'string' ? /^(\S+) (\/\S*)$/.exec(routeKey) : null;
  if (!match) throw new Error(`${where} has a RouteKey the local gateway cannot route: ${JSON.stringify(routeKey)}`);
  const [, method = '', path = ''] = match;
  return { method: method.toUpperCase(), path };
};

/** @param {string} segment @param {number} index @param {string[]} segments @param {string} where @returns {Part} */
const compileSegment = (segment, index, segments, where) => {
  const greedy = /^\{([^{}]+)\+\}$/.exec(segment);
  if (greedy) {
    if (index !== segments.length - 1) throw new Error(`${where}: a greedy {${greedy[1]}+} must be the last path segment`);
    return { kind: GREEDY, name: /** @type {string} */ (greedy[1]) };
  }
  const param = /^\{([^{}]+)\}$/.exec(segment);
  return param ? { kind: PARAM, name: /** @type {string} */ (param[1]) } : { kind: LITERAL, value: segment };
};

/** @param {Route} route @returns {CompiledRoute} */
const compileRoute = (route) => {
  const where = `${route.service}: ${route.method} ${route.path}`;
  if (typeof route.path !== 'string' || !route.path.startsWith('/')) throw new Error(`${where}: a route path must start with /`);
  const pattern = route.path
    .split('/')
    .slice(1)
    .map((segment, index, segments) => compileSegment(segment, index, segments, where));
  // API Gateway treats /things/{id} and /things/{thingId} as the same route.
  const shape = pattern.map((part) => (part.kind === LITERAL ? part.value : part.kind === PARAM ? '{}' : '{+}')).join('/');
  return { route, method: route.method.toUpperCase(), pattern, key: `${route.method.toUpperCase()} /${shape}` };
};

/**
 * API Gateway's precedence: segment by segment from the left, a literal beats a
 * {param}, which beats a greedy {name+}; on the same path an explicit method
 * beats ANY. Sorting once makes the first match the most specific one.
 * @param {CompiledRoute} a @param {CompiledRoute} b
 */
const bySpecificity = (a, b) => {
  const shared = Math.min(a.pattern.length, b.pattern.length);
  for (let index = 0; index < shared; index += 1) {
    const difference = /** @type {Part} */ (a.pattern[index]).kind - /** @type {Part} */ (b.pattern[index]).kind;
    if (difference !== 0) return difference;
  }
  if (a.pattern.length !== b.pattern.length) return b.pattern.length - a.pattern.length;
  return Number(a.method === 'ANY') - Number(b.method === 'ANY');
};

// Path parameters reach the function decoded, as API Gateway passes them; a
// malformed escape is kept as sent rather than failing the request.
/** @param {string} text */
const decode = (text) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

/**
 * Path params when `segments` (decoded) fit `pattern`, else undefined.
 * @param {Part[]} pattern @param {string[]} segments
 * @returns {Record<string, string> | undefined}
 */
const matchPattern = (pattern, segments) => {
  /** @type {Array<[string, string]>} */
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

/** @param {CompiledRoute[]} compiled */
const assertNoDuplicates = (compiled) => {
  /** @type {Map<string, CompiledRoute>} */
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
 * @param {Route[]} routes
 */
export const createRouter = (routes) => {
  const compiled = routes.map(compileRoute);
  assertNoDuplicates(compiled);
  compiled.sort(bySpecificity);

  /** @param {string} pathname */
  const candidates = (pathname) => {
    const segments = pathname.split('/').slice(1).map(decode);
    return compiled.flatMap((entry) => {
      const params = matchPattern(entry.pattern, segments);
      return params ? [{ entry, params }] : [];
    });
  };

  /** @param {string} method @param {string} pathname @returns {Match | undefined} */
  const match = (method, pathname) => {
    const found = candidates(pathname);
    if (found.length === 0) return undefined;
    const wanted = method.toUpperCase();
    const hit = found.find(({ entry }) => entry.method === wanted || entry.method === 'ANY');
    if (hit) return { route: hit.entry.route, params: hit.params };
    return { allowedMethods: [...new Set(found.map(({ entry }) => entry.method))].sort() };
  };

  /** @param {string} pathname @returns {Match | undefined} */
  const matchPath = (pathname) => {
    const [first] = candidates(pathname);
    return first && { route: first.entry.route, params: first.params };
  };

  return { match, matchPath };
};

