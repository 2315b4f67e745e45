// A tiny domain for the engine's own tests: "things" with a name and a size,
// listed, read and created (with a things:write scope), described by a
// hand-written OpenAPI document. It stands in for a real scenario the way
// system-tests/fuzz/lib/scenario.mjs is one, with no stack and no service.
import fc from 'fast-check';
import { pickFrom } from '../lib/materialize.mjs';
import { placeholder } from '../lib/plans.mjs';

const error = { $ref: '#/components/responses/Error' };
const thing = { description: 'a thing', content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } };

/** @type {Record<string, any>} */
export const DOCUMENT = {
  openapi: '3.1.0',
  info: { title: 'things', version: '1' },
  paths: {
    '/things': {
      get: {
        operationId: 'listThings',
        parameters: [
          { in: 'query', name: 'limit', schema: { type: 'integer', minimum: 1, maximum: 50 } },
          { in: 'query', name: 'cursor', schema: { type: 'string', minLength: 1 } },
        ],
        responses: {
          200: {
            description: 'a page',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: { things: { type: 'array', items: { $ref: '#/components/schemas/Thing' } }, nextCursor: { type: ['string', 'null'] } },
                  required: ['things', 'nextCursor'],
                  additionalProperties: false,
                },
              },
            },
          },
          400: error,
        },
      },
      post: {
        operationId: 'createThing',
        security: [{ jwt: ['things:write'] }],
        requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/NewThing' } } } },
        responses: { 201: thing, 400: error, 401: error, 403: error, 413: error, 422: error },
      },
    },
    '/things/{id}': {
      parameters: [{ in: 'path', name: 'id', required: true, schema: { type: 'string', pattern: '^[a-z0-9-]{1,32}$' } }],
      get: { operationId: 'getThing', responses: { 200: thing, 404: error, 500: { description: 'an internal error: the API’s or API Gateway’s', content: { 'application/json': { schema: { type: 'object' } } } } } },
    },
  },
  components: {
    schemas: {
      NewThing: {
        type: 'object',
        properties: { name: { type: 'string', minLength: 1, maxLength: 20 }, size: { type: 'integer', minimum: 0, maximum: 10 }, owner: { type: 'string' } },
        required: ['name'],
        additionalProperties: false,
      },
      Thing: {
        type: 'object',
        properties: { id: { type: 'string' }, name: { type: 'string' }, size: { type: 'integer' } },
        required: ['id', 'name'],
        additionalProperties: false,
      },
      ErrorBody: {
        type: 'object',
        properties: {
          error: {
            type: 'object',
            properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'array' } },
            required: ['code', 'message'],
            additionalProperties: false,
          },
        },
        required: ['error'],
        additionalProperties: false,
      },
    },
    responses: { Error: { description: 'an error', content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } } } },
  },
};

/** @typedef {{ things: string[], cursors: string[] }} ThingModel */

/** @returns {ThingModel} */
const createModel = () => ({ things: [], cursors: [] });

/** @type {import('../lib/run.mjs').FuzzScenario} */
export const scenario = {
  tokens: {
    callers: {
      writer: { claims: { email: 'writer@example.com', scopes: ['things:write'] }, usableEmail: true },
      reader: { claims: { email: 'reader@example.com' }, usableEmail: true },
    },
    privileged: 'writer',
    unprivileged: 'reader',
  },
  createModel,
  seed: async () => 'nothing',
  learn: ({ expectation, response, json, model }) => {
    if (expectation.operationId === 'createThing' && response.status === 201) /** @type {ThingModel} */ (model).things.push(json.id);
  },
  plans: {
    auth: (operation) => (operation.scopes === undefined ? { good: ['reader', 'writer'], wrongButValid: [] } : { good: ['writer'], wrongButValid: ['reader'] }),
    idKinds: () => [[100, 'known']],
    bodyOverrides: { createThing: { owner: fc.constant(placeholder('email')) } },
  },
  materialize: {
    id: (kind, { model, index }) => (kind === 'known' ? { segment: pickFrom(/** @type {ThingModel} */ (model).things, index) ?? 'none-yet' } : undefined),
    someId: (_route, { model, index }) => pickFrom(/** @type {ThingModel} */ (model).things, index) ?? 'none-yet',
    placeholders: { email: (_node, { caller }) => caller.email ?? 'nobody@example.com' },
    cursors: (model) => /** @type {ThingModel} */ (model).cursors,
  },
  oracle: {
    decide: {
      listThings: () => ({ status: 200, why: 'a listing' }),
      createThing: ({ body, caller }) => (body.owner === undefined || body.owner === caller.email ? { status: 201, why: 'a valid thing' } : { status: 422, why: 'someone else’s thing' }),
      getThing: ({ id, model }) => (/** @type {ThingModel} */ (model).things.includes(id ?? '') ? { status: 200, why: 'a known thing' } : { status: 404, why: 'no such thing' }),
    },
  },
};
