import { httpHandler } from '@platform/handler-kit';
import { NewItemSchema } from '../domain';
import { itemsService } from './context';
import type { ItemBody } from './responses';

export const handler = httpHandler({ body: NewItemSchema }, async ({ body }) => ({
  statusCode: 201,
  body: (await itemsService().create(body)) satisfies ItemBody,
}));
