// order-processor's OpenAPI 3.1 document, rendered by zod-openapi from the
// very zod schemas the handlers validate with (src/domain/order.ts) and the
// response schemas beside it (./responses.ts). Only the generator
// (tools/openapi) imports this module; no handler does, so no function bundle
// carries zod-openapi. Each operation lists every status its route can answer:
// the handler's (libs/handler-kit maps domain errors to statuses), the
// authorizer's, and the gateway's (tools/local-runtime/gateway/http-api-response.mjs).
import * as z from 'zod';
import { createDocument } from 'zod-openapi';
import { IdempotencyKeySchema, NewOrderSchema, OrderIdSchema } from '../domain';
import { anyRouteResponses, errorResponse, JWT, jwtSecurityScheme, unauthorized } from '@platform/handler-kit/openapi';
import { OrderAcceptedSchema, OrderStatusBodySchema } from './responses';

// Any customer's token; no scope. The customer is the token's subject.
const customers = [{ [JWT]: [] }];
// The authorizer checks no scope here, but the handler needs the customer's email from the token.
const notACustomer = errorResponse('The token carries no valid email claim, so its holder cannot place or read orders.');

// get-order.ts validates { id: OrderIdSchema } (its own, unexported object): the same id schema.
const OrderPath = z.object({ id: OrderIdSchema });

const IdempotencyHeader = z.object({
  'Idempotency-Key': IdempotencyKeySchema.optional().meta({
    description:
      "Makes a retried POST safe: the same customer's key with the same body answers the same order and changes nothing, " +
      "for 24 hours; the same key with another body is a 409. Each customer's keys are their own.",
  }),
});

export const openApiDocument = () =>
  createDocument({
    openapi: '3.1.0',
    info: {
      title: 'order-processor',
      version: '1.0.0',
      description:
        "Orders (team orders). An order is accepted as PENDING and decided asynchronously by the catalogue's answer; " +
        'a customer sees only their own orders.',
    },
    tags: [{ name: 'orders', description: 'Placing an order and following it until it is CONFIRMED or REJECTED.' }],
    components: {
      securitySchemes: { [JWT]: jwtSecurityScheme },
      // The domain's request schema carries no OpenAPI id: this name is its own wherever it appears.
      schemas: { NewOrder: NewOrderSchema },
    },
    paths: {
      '/orders': {
        post: {
          operationId: 'placeOrder',
          summary: 'Place an order',
          description:
            "Accepts the order as PENDING; the catalogue reserves the stock or rejects it shortly after (follow it with GET /orders/{id}). The item is not checked here: an unknown item is accepted, then REJECTED with ITEM_NOT_FOUND. The customer and their email come from the token; `customerEmail`, when given, must be the token's email.",
          tags: ['orders'],
          security: customers,
          requestParams: { header: IdempotencyHeader },
          requestBody: { required: true, content: { 'application/json': { schema: NewOrderSchema } } },
          responses: {
            202: { description: 'Accepted.', content: { 'application/json': { schema: OrderAcceptedSchema } } },
            400: errorResponse('The body is missing or is not JSON.'),
            401: unauthorized,
            403: notACustomer,
            409: errorResponse(
              'The Idempotency-Key was used with a different body, or a request with the same key is still being processed (retry).',
            ),
            422: errorResponse(
              "The body does not match the schema, the Idempotency-Key is malformed, or `customerEmail` is not the token's email; `details` names each failing field.",
            ),
            ...anyRouteResponses,
          },
        },
      },
      '/orders/{id}': {
        get: {
          operationId: 'getOrder',
          summary: 'Get an order',
          tags: ['orders'],
          security: customers,
          requestParams: { path: OrderPath },
          responses: {
            200: { description: 'The order and where it stands.', content: { 'application/json': { schema: OrderStatusBodySchema } } },
            401: unauthorized,
            403: notACustomer,
            404: errorResponse("No such order, or another customer's."),
            ...anyRouteResponses,
          },
        },
      },
    },
  });
