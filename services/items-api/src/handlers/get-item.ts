import { httpHandler } from '@platform/handler-kit';
import { itemsService } from './context';
import type { ItemBody } from './responses';
import { ItemPath } from './schemas';

export const handler = httpHandler({ path: ItemPath }, async ({ path }) => ({
  statusCode: 200,
  body: (await itemsService().get(path.id)) satisfies ItemBody,
}));
