import { httpHandler } from '@platform/handler-kit';
import { NewItemSchema } from '../domain';
import { itemsService } from './context';
import type { ItemBody } from './responses';

// A new item has no image yet: this function never signs an image URL (and its role may not read images).
export const handler = httpHandler({ body: NewItemSchema }, async ({ body }) => ({
  statusCode: 201,
  body: { ...(await itemsService().create(body)), image: null } satisfies ItemBody,
}));
