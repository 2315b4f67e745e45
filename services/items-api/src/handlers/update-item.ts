import { httpHandler } from '@platform/handler-kit';
import { ItemPatchSchema } from '../domain';
import { imageUrl, itemsService } from './context';
import { itemBody } from './item-body';
import type { ItemBody } from './responses';
import { ItemPath } from './schemas';

export const handler = httpHandler({ path: ItemPath, body: ItemPatchSchema }, async ({ path, body }) => ({
  statusCode: 200,
  body: (await itemBody(await itemsService().update(path.id, body), imageUrl)) satisfies ItemBody,
}));
