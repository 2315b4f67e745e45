import { httpHandler } from '@platform/handler-kit';
import { imageUrl, itemsService } from './context';
import { itemBody } from './item-body';
import type { ItemBody } from './responses';
import { ItemPath } from './schemas';

export const handler = httpHandler({ path: ItemPath }, async ({ path }) => ({
  statusCode: 200,
  body: (await itemBody(await itemsService().get(path.id), imageUrl)) satisfies ItemBody,
}));
