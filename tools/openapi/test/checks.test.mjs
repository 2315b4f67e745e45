// The checks of spec-agreement.mjs and merge.mjs on small hand-made inputs:
// each must pass what agrees and name what does not, or the tests that run
// them on the real templates and documents (agreement.test.mjs) prove nothing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeDocuments } from '../merge.mjs';
import { routeProblems, securityProblems, templatesAuthorize } from '../spec-agreement.mjs';

/** @import { HttpMethod, Json, OpenApiDocument, Operation, PathItem, SecurityRequirement, SecurityScheme } from '../merge.mjs' */
/** @import { CfnResource, CfnTemplate } from '../spec-agreement.mjs' */
/** @typedef {{ key: string, auth?: string[] | null }} Route a route of template(): `auth` its scopes if it takes a JWT, null for JWT naming no authorizer */
/** @typedef {{ authorizerName?: string, authorizerType?: string, scheme?: SecurityScheme }} Options */
/** @typedef {[method: HttpMethod, path: string, security?: SecurityRequirement[]]} OperationSpec */

/**
 * A compiled template as `serverless package` writes it: one function per route, each behind a Lambda proxy integration.
 * @param {Route[]} routes
 * @param {Options} [options]
 * @returns {CfnTemplate}
 */
const template = (routes, { authorizerName = 'jwt', authorizerType = 'JWT' } = {}) => {
  /** @type {Record<string, CfnResource>} */
  const resources = {
    HttpApi: { Type: 'AWS::ApiGatewayV2::Api', Properties: { Name: 'local-svc', ProtocolType: 'HTTP' } },
    HttpApiAuthorizerJwt: {
      Type: 'AWS::ApiGatewayV2::Authorizer',
      Properties: {
        ApiId: { Ref: 'HttpApi' },
        Name: authorizerName,
        AuthorizerType: authorizerType,
        IdentitySource: ['$request.header.Authorization'],
        JwtConfiguration: { Issuer: 'https://issuer.invalid', Audience: ['api'] },
      },
    },
  };
  routes.forEach(({ key, auth }, index) => {
    resources[`Fn${index}`] = { Type: 'AWS::Lambda::Function', Properties: { FunctionName: `svc-local-fn${index}` } };
    resources[`Integration${index}`] = {
      Type: 'AWS::ApiGatewayV2::Integration',
      Properties: { ApiId: { Ref: 'HttpApi' }, IntegrationType: 'AWS_PROXY', IntegrationUri: { 'Fn::GetAtt': [`Fn${index}`, 'Arn'] }, PayloadFormatVersion: '2.0' },
    };
    resources[`Route${index}`] = {
      Type: 'AWS::ApiGatewayV2::Route',
      Properties: {
        ApiId: { Ref: 'HttpApi' },
        RouteKey: key,
        Target: { 'Fn::Join': ['/', ['integrations', { Ref: `Integration${index}` }]] },
        ...(auth && { AuthorizationType: 'JWT', AuthorizerId: { Ref: 'HttpApiAuthorizerJwt' }, ...(auth.length > 0 && { AuthorizationScopes: auth }) }),
        ...(auth === null && { AuthorizationType: 'JWT' }), // JWT, but naming no authorizer
      },
    };
  });
  return { Resources: resources };
};

/**
 * A document with `operations`: [method, path, security?].
 * @param {OperationSpec[]} operations
 * @param {SecurityScheme} [scheme]
 * @returns {OpenApiDocument}
 */
const document = (operations, scheme = { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }) => {
  /** @type {Record<string, PathItem>} */
  const paths = {};
  for (const [method, path, security] of operations) {
    paths[path] ??= {};
    paths[path][method] = { operationId: `${method}${path}`, responses: { 200: { description: 'ok' } }, ...(security !== undefined && { security }) };
  }
  return { openapi: '3.1.0', info: { title: 't', version: '1' }, paths, components: { securitySchemes: { jwt: scheme } } };
};

/** @param {Route[]} routes @param {OperationSpec[]} operations @param {Options} [options] */
const input = (routes, operations, options) => ({ service: 'svc', template: template(routes, options), document: document(operations, options?.scheme) });
/** @type {(...args: Parameters<typeof input>) => { routes: string[], security: string[] }} */
const check = (...args) => ({ routes: routeProblems(input(...args)), security: securityProblems(input(...args)) });

describe('routeProblems', () => {
  it('passes a document with exactly the template’s routes', () => {
    assert.deepEqual(check([{ key: 'GET /things' }, { key: 'GET /things/{id}' }], [['get', '/things'], ['get', '/things/{id}']]).routes, []);
  });

  it('names a route the document lacks', () => {
    assert.deepEqual(check([{ key: 'GET /things' }, { key: 'DELETE /things/{id}' }], [['get', '/things']]).routes, [
      'svc: the route DELETE /things/{id} is not in the OpenAPI document',
    ]);
  });

  it('names an operation the template lacks, including one whose path parameter is named differently', () => {
    assert.deepEqual(check([{ key: 'GET /things/{id}' }], [['get', '/things/{thingId}'], ['post', '/things']]).routes, [
      'svc: the route GET /things/{id} is not in the OpenAPI document',
      "svc: the document's GET /things/{thingId} is not a route of the compiled template",
      "svc: the document's POST /things is not a route of the compiled template",
    ]);
  });
});

describe('securityProblems', () => {
  it('passes public routes documented as public and JWT routes with their scopes', () => {
    const result = check(
      [{ key: 'GET /things' }, { key: 'POST /things', auth: ['things:write', 'admin'] }, { key: 'GET /mine', auth: [] }],
      [['get', '/things', []], ['post', '/things', [{ jwt: ['admin', 'things:write'] }]], ['get', '/mine', [{ jwt: [] }]]],
    );
    assert.deepEqual(result.security, []);
  });

  it('names a JWT route whose document scopes differ', () => {
    assert.deepEqual(check([{ key: 'POST /things', auth: ['things:write'] }], [['post', '/things', [{ jwt: ['things:read'] }]]]).security, [
      'svc: POST /things: the route requires scopes [things:write], the document [things:read]',
    ]);
  });

  it('names a JWT route the document calls public, or leaves without security', () => {
    const problems = check([{ key: 'POST /things', auth: ['things:write'] }, { key: 'GET /mine', auth: [] }], [['post', '/things', []], ['get', '/mine']]).security;
    assert.equal(problems.length, 2);
    assert.match(problems.join('\n'), /POST \/things: the route needs a JWT with things:write, but the document's security is \[\]/);
    assert.match(problems.join('\n'), /GET \/mine: the route needs a JWT, but the document's security is \[\]/);
  });

  it('names a public route the document says needs a token', () => {
    assert.deepEqual(check([{ key: 'GET /things' }], [['get', '/things', [{ jwt: [] }]]]).security, [
      'svc: GET /things: the route is public (no authorizer), but the document requires [{"jwt":[]}]',
    ]);
  });

  it('names a JWT route without a JWT authorizer, an authorizer named unlike the scheme, and a scheme that is no bearer token', () => {
    // (The local gateway refuses to start with such a route: only the security check is asked here.)
    assert.match(securityProblems(input([{ key: 'GET /mine', auth: null }], [['get', '/mine', [{ jwt: [] }]]])).join('\n'), /is no JWT authorizer of the template/);
    assert.match(
      check([{ key: 'GET /mine', auth: [] }], [['get', '/mine', [{ jwt: [] }]]], { authorizerName: 'cognito' }).security.join('\n'),
      /the route's authorizer is "cognito", the document names the scheme "jwt"/,
    );
    assert.match(
      check([{ key: 'GET /mine', auth: [] }], [['get', '/mine', [{ jwt: [] }]]], { scheme: { type: 'apiKey', in: 'header', name: 'x-key' } }).security.join('\n'),
      /"jwt" is not a bearer-token scheme/,
    );
  });

  it('tells templates with authorizers from templates without', () => {
    assert.equal(templatesAuthorize([template([{ key: 'GET /things' }])]), false);
    assert.equal(templatesAuthorize([template([{ key: 'GET /things' }]), template([{ key: 'GET /mine', auth: [] }])]), true);
  });
});

describe('mergeDocuments', () => {
  const top = { info: { title: 'all', version: '1' }, servers: [{ url: 'http://localhost:3000' }] };
  /** @param {OperationSpec[]} paths @param {Record<string, Json>} schemas @returns {OpenApiDocument} */
  const withSchemas = (paths, schemas) => ({ ...document(paths), components: { schemas } });
  const errorBody = { type: 'object', properties: { error: { type: 'object' } } };

  it('puts the services’ paths side by side and pools a component both declare alike', () => {
    const merged = mergeDocuments(
      [
        { name: 'a', document: withSchemas([['get', '/a']], { ErrorBody: errorBody, A: { type: 'string' } }) },
        { name: 'b', document: withSchemas([['get', '/b']], { ErrorBody: structuredClone(errorBody) }) },
      ],
      top,
    );
    assert.deepEqual(Object.keys(merged.paths), ['/a', '/b']);
    assert.deepEqual(Object.keys(/** @type {Record<string, Json>} */ (merged.components.schemas)), ['ErrorBody', 'A']);
    assert.deepEqual(merged.servers, top.servers);
  });

  it('refuses a component two services declare differently, a path both declare, and an operationId both use', () => {
    assert.throws(
      () =>
        mergeDocuments(
          [
            { name: 'a', document: withSchemas([['get', '/a']], { ErrorBody: errorBody }) },
            { name: 'b', document: withSchemas([['get', '/b']], { ErrorBody: { ...errorBody, required: ['error'] } }) },
          ],
          top,
        ),
      /components.schemas "ErrorBody" differs between a and b/,
    );
    assert.throws(() => mergeDocuments([{ name: 'a', document: document([['get', '/x']]) }, { name: 'b', document: document([['post', '/x']]) }], top), /path "\/x" is declared by both a and b/);
    const sameId = document([['get', '/y']]);
    /** @type {{ '/y': { get: Operation } }} */ (sameId.paths)['/y'].get.operationId = 'get/x';
    assert.throws(() => mergeDocuments([{ name: 'a', document: document([['get', '/x']]) }, { name: 'b', document: sameId }], top), /operationId "get\/x" is used by both a and b/);
  });
});
