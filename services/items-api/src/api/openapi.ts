// items-api's OpenAPI 3.1 document, rendered by zod-openapi from the very zod
// schemas the handlers validate with (src/domain, src/handlers/schemas.ts) and
// type their answers against (src/handlers/responses.ts). Only the generator
// (tools/openapi) imports this module; no handler does, so no function bundle
// carries zod-openapi. Each operation lists every status its route can answer:
// the handler's (libs/handler-kit maps domain errors to statuses), the
// authorizer's, and the gateway's (tools/local-runtime/gateway/http-api-response.mjs).
import { createDocument } from 'zod-openapi';
import * as z from 'zod';
import { ImageUploadRequestSchema, ItemPatchSchema, NewItemSchema } from '../domain';
import { ImageUploadSchema, ItemPageSchema, ItemSchema } from '../handlers/responses';
import { ItemPath, ListQuery } from '../handlers/schemas';
import {
  anyRouteResponses,
  ErrorBodySchema,
  errorResponse,
  forbidden,
  GatewayMessageSchema,
  JWT,
  jwtSecurityScheme,
  unauthorized,
} from '@platform/handler-kit/openapi';

const WRITE_SCOPE = 'items:write';
// Mutating the catalogue is for staff tokens with the write scope; reading it is public.
const writers = [{ [JWT]: [WRITE_SCOPE] }];
const everyone: Array<Record<string, string[]>> = [];

const item = (description: string) => ({ description, content: { 'application/json': { schema: ItemSchema } } });
const noSuchItem = errorResponse('No item has this id (an id that cannot name an item is not found either).');
const badBody = errorResponse('The body is missing or is not JSON.');
const invalidBody = errorResponse('The body does not match the schema; `details` names each failing field.');
// A route with the write scope: the authorizer answers before the function runs.
const writerResponses = { 401: unauthorized, 403: forbidden } as const;

export const openApiDocument = () =>
  createDocument({
    openapi: '3.1.0',
    info: {
      title: 'items-api',
      version: '1.0.0',
      description: 'The catalogue (team catalog): items and their stock. Reading is public; changes need a token with the `items:write` scope.',
    },
    tags: [{ name: 'items', description: 'The catalogue: items, their price and their stock.' }],
    components: {
      securitySchemes: { [JWT]: jwtSecurityScheme },
      // The domain's request schemas carry no OpenAPI id: these names are theirs
      // wherever they appear. Response schemas name themselves (`.meta({ id })`).
      schemas: { NewItem: NewItemSchema, ItemPatch: ItemPatchSchema, ImageUploadRequest: ImageUploadRequestSchema },
    },
    paths: {
      '/items': {
        post: {
          operationId: 'createItem',
          summary: 'Create an item',
          tags: ['items'],
          security: writers,
          requestBody: { required: true, content: { 'application/json': { schema: NewItemSchema } } },
          responses: {
            201: item('The item as stored, with its id, version 1 and timestamps.'),
            400: badBody,
            ...writerResponses,
            422: invalidBody,
            ...anyRouteResponses,
          },
        },
        get: {
          operationId: 'listItems',
          summary: 'List items',
          description: 'Items in creation order, `limit` at a time. Pass `nextCursor` back as `cursor` for the next page.',
          tags: ['items'],
          security: everyone,
          requestParams: { query: ListQuery },
          responses: {
            200: { description: 'One page of items.', content: { 'application/json': { schema: ItemPageSchema } } },
            400: errorResponse('`limit` is not a whole number from 1 to 100 in plain decimal digits (no sign, exponent, hex or spaces), or `cursor` is invalid or was tampered with.'),
            ...anyRouteResponses,
          },
        },
      },
      '/items/{id}': {
        get: {
          operationId: 'getItem',
          summary: 'Get an item',
          tags: ['items'],
          security: everyone,
          requestParams: { path: ItemPath },
          responses: { 200: item('The item.'), 404: noSuchItem, ...anyRouteResponses },
        },
        patch: {
          operationId: 'updateItem',
          summary: 'Change an item',
          description: 'Changes the given fields if `expectedVersion` is still the current version (optimistic concurrency).',
          tags: ['items'],
          security: writers,
          requestParams: { path: ItemPath },
          requestBody: {
            required: true,
            description: 'The current version and at least one of name, description, priceCents or stock.',
            content: { 'application/json': { schema: ItemPatchSchema } },
          },
          responses: {
            200: item('The item after the change, its version bumped.'),
            400: badBody,
            ...writerResponses,
            404: noSuchItem,
            409: errorResponse('`expectedVersion` is not the current version: read the item again and retry.'),
            422: invalidBody,
            ...anyRouteResponses,
          },
        },
        delete: {
          operationId: 'deleteItem',
          summary: 'Delete an item',
          tags: ['items'],
          security: writers,
          requestParams: { path: ItemPath },
          responses: { 204: { description: 'Deleted, with its image.' }, ...writerResponses, 404: noSuchItem, ...anyRouteResponses },
        },
      },
      '/items/{id}/image-uploads': {
        post: {
          operationId: 'createImageUpload',
          summary: 'Get a form to upload an image of an item',
          description: [
            'Grants one upload of the item\'s image, sent straight to storage (S3), never through this API:',
            'POST `upload.url` as multipart/form-data with every field of `upload.fields` as given, then the file as `file`, last.',
            'The form is a presigned S3 POST whose signed policy fixes the key, the Content-Type and the size (1 byte to `maxBytes`) and expires at `expiresAt` (5 minutes).',
            'A presigned PUT could not bound the size; this API never grants one.',
            'S3 answers that POST, not this API: 204 when stored; 400 EntityTooLarge or EntityTooSmall; 403 AccessDenied when the form expired,',
            'a field was changed or added, or the Content-Type is not the one asked for; 403 SignatureDoesNotMatch when the signature was tampered with.',
            'Once stored, the file is checked (its first bytes must be an image of the declared type) and becomes the item\'s `image` (a new version of the item, and an `item.updated` event);',
            'a later grant\'s image wins over an earlier one\'s; a file that fails is deleted and the item is unchanged.',
          ].join(' '),
          tags: ['items'],
          security: writers,
          requestParams: { path: ItemPath },
          requestBody: { required: true, content: { 'application/json': { schema: ImageUploadRequestSchema } } },
          responses: {
            201: { description: 'The upload form, and the id the image will have.', content: { 'application/json': { schema: ImageUploadSchema } } },
            400: badBody,
            ...writerResponses,
            404: noSuchItem,
            422: invalidBody,
            ...anyRouteResponses,
            429: {
              description:
                'The item already has 3 uploads pending (granted, not yet processed, forms not expired): `{"error":{"code":"TOO_MANY_REQUESTS"}}` with `Retry-After`, ' +
                'at most the seconds until the latest form expires (one frees sooner when its upload is processed). Or throttled, as on every route.',
              content: { 'application/json': { schema: z.union([ErrorBodySchema, GatewayMessageSchema]) } },
              headers: z.object({ 'Retry-After': z.string().meta({ description: 'Seconds to wait before asking again' }) }),
            },
          },
        },
      },
    },
  });
