// Does the OpenAPI document say what the deployed API does? The compiled
// CloudFormation template is what API Gateway gets, so it is the reference:
//  - routeProblems: every route of the template (AWS::ApiGatewayV2::Route,
//    read by the local gateway's own parser) is an operation of the document,
//    and the document has no operation the template lacks;
//  - securityProblems: each operation's `security` is what the route's
//    AuthorizationType / AuthorizerId / AuthorizationScopes enforce.
// Each returns a list of problems, empty when the two agree.
import { resourcesOfType } from '@platform/local-runtime/cloudformation/cfn';
import { routesFromTemplate } from '@platform/local-runtime/gateway/http-routes';
import { operationsOf } from './merge.mjs';

/** @import { OpenApiDocument, Operation, SecurityRequirement, SecurityScheme } from './merge.mjs' */

// A compiled CloudFormation template: the local runtime's type (from the deploy configuration's).
/** @typedef {import('@platform/local-runtime/types').CfnTemplate} CfnTemplate */
/** @typedef {import('@platform/local-runtime/types').CfnResource} CfnResource */
/** @typedef {{ Ref: string }} Ref */
/**
 * The properties of an AWS::ApiGatewayV2::Route that say how it is authorized.
 * @typedef {object} RouteProperties
 * @property {string} RouteKey "METHOD /path", or $default
 * @property {string} [AuthorizationType] NONE when absent
 * @property {string[]} [AuthorizationScopes]
 * @property {string | Ref} [AuthorizerId]
 */
/**
 * How one route is authorized.
 * @typedef {object} RouteAuthorization
 * @property {string} logicalId the route's
 * @property {string} type its AuthorizationType
 * @property {string[]} scopes sorted
 * @property {string} [authorizerId] the authorizer's logical id
 * @property {CfnResource} [authorizer] the template's resource of that id, if any
 */

/** @param {string} method @param {string} path */
const keyOf = (method, path) => `${method.toUpperCase()} ${path}`;

/**
 * The template's routes as "METHOD /path", as API Gateway matches them (parsed by tools/local-runtime/gateway/http-routes.mjs).
 * @param {CfnTemplate} template
 * @param {string} service
 * @returns {Set<string>}
 */
export const templateRouteKeys = (template, service) => new Set(routesFromTemplate(template, service).map((route) => route.routeKey));

/** @param {{ service: string, template: CfnTemplate, document: OpenApiDocument }} input @returns {string[]} */
export const routeProblems = ({ service, template, document }) => {
  const routes = templateRouteKeys(template, service);
  const documented = new Set(operationsOf(document).map(({ method, path }) => keyOf(method, path)));
  return [
    ...[...routes].filter((key) => !documented.has(key)).map((key) => `${service}: the route ${key} is not in the OpenAPI document`),
    ...[...documented].filter((key) => !routes.has(key)).map((key) => `${service}: the document's ${key} is not a route of the compiled template`),
  ];
};

/** @param {string | Ref} [value] an AuthorizerId: a logical id, or a Ref to one @returns {string | undefined} */
const refTarget = (value) => (typeof value === 'string' ? value : value?.Ref);

/**
 * How each route of the template is authorized: type, scopes, and the authorizer it names (if any).
 * @param {CfnTemplate} template
 * @returns {Map<string, RouteAuthorization>} by "METHOD /path"
 */
export const routeAuthorization = (template) => {
  const resources = template.Resources ?? {};
  return new Map(
    resourcesOfType(template, 'AWS::ApiGatewayV2::Route')
      .filter(([, route]) => route.Properties?.RouteKey !== '$default')
      .map(([logicalId, route]) => {
        const { RouteKey, AuthorizationType = 'NONE', AuthorizationScopes = [], AuthorizerId } = /** @type {RouteProperties} */ (route.Properties ?? {});
        const authorizerId = refTarget(AuthorizerId);
        const authorizer = authorizerId === undefined ? undefined : resources[authorizerId];
        return [
          RouteKey.replace(/^(\S+)/, (method) => method.toUpperCase()),
          { logicalId, type: AuthorizationType, scopes: [...AuthorizationScopes].sort(), authorizerId, authorizer },
        ];
      }),
  );
};

/**
 * True once any route of these templates is authorized: until then the templates say nothing about security.
 * @param {CfnTemplate[]} templates
 * @returns {boolean}
 */
export const templatesAuthorize = (templates) => templates.some((template) => [...routeAuthorization(template).values()].some((route) => route.type !== 'NONE'));

/** @param {string[]} a @param {string[]} b */
const same = (a, b) => a.length === b.length && a.every((value, index) => value === b[index]);

/**
 * What one operation requires, as the document says it (operation-level security overrides the document's).
 * @param {OpenApiDocument} document
 * @param {Operation} operation
 * @returns {SecurityRequirement[]}
 */
const requirementsOf = (document, operation) => operation.security ?? document.security ?? [];

/**
 * Problems with one JWT route against what the document requires of it.
 * @param {string} where
 * @param {RouteAuthorization} auth
 * @param {SecurityRequirement[]} requirements
 * @param {Record<string, SecurityScheme>} schemes
 * @returns {string[]}
 */
const jwtProblems = (where, auth, requirements, schemes) => {
  /** @type {string[]} */
  const problems = [];
  const authorizer = auth.authorizer;
  if (authorizer?.Type !== 'AWS::ApiGatewayV2::Authorizer' || authorizer.Properties?.AuthorizerType !== 'JWT') {
    problems.push(`${where}: AuthorizationType JWT, but its AuthorizerId (${auth.authorizerId ?? 'none'}) is no JWT authorizer of the template`);
  }
  const [requirement, ...others] = requirements;
  const names = Object.keys(requirement ?? {});
  if (!requirement || others.length > 0 || names.length !== 1) {
    return [...problems, `${where}: the route needs a JWT${auth.scopes.length ? ` with ${auth.scopes.join(', ')}` : ''}, but the document's security is ${JSON.stringify(requirements)}`];
  }
  const name = names[0] ?? '';
  const scheme = schemes[name];
  if (!(scheme?.type === 'http' && scheme.scheme?.toLowerCase() === 'bearer') && !/** @type {Array<string | undefined>} */ (['oauth2', 'openIdConnect']).includes(scheme?.type)) {
    problems.push(`${where}: the document's security scheme "${name}" is not a bearer-token scheme`);
  }
  const authorizerName = authorizer?.Properties?.Name;
  if (authorizerName !== undefined && authorizerName !== name) {
    problems.push(`${where}: the route's authorizer is "${authorizerName}", the document names the scheme "${name}"`);
  }
  const documented = [.../** @type {string[]} */ (requirement[name])].sort(); // name is requirement's one key
  if (!same(documented, auth.scopes)) {
    problems.push(`${where}: the route requires scopes [${auth.scopes.join(', ')}], the document [${documented.join(', ')}]`);
  }
  return problems;
};

/** @param {{ service: string, template: CfnTemplate, document: OpenApiDocument }} input @returns {string[]} */
export const securityProblems = ({ service, template, document }) => {
  const authorization = routeAuthorization(template);
  const schemes = document.components?.securitySchemes ?? {};
  return operationsOf(document).flatMap(({ method, path, operation }) => {
    const key = keyOf(method, path);
    const auth = authorization.get(key);
    if (!auth) return []; // a route missing from the template is routeProblems' to report
    const where = `${service}: ${key}`;
    const requirements = requirementsOf(document, operation);
    switch (auth.type) {
      case 'NONE':
        // Public: no requirement at all, or an empty one (authentication optional).
        return requirements.length === 0 || requirements.some((requirement) => Object.keys(requirement).length === 0)
          ? []
          : [`${where}: the route is public (no authorizer), but the document requires ${JSON.stringify(requirements)}`];
      case 'JWT':
        return jwtProblems(where, auth, requirements, schemes);
      default:
        return [`${where}: AuthorizationType ${auth.type} is not something this check knows how to compare`];
    }
  });
};
