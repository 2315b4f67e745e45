import { httpHandler } from '@platform/handler-kit';
import { ItemPatchSchema } from '../domain';
import { itemsService } from './context';
import type { ItemBody } from './responses';
import { ItemPath } from './schemas';

export const handler = httpHandler({ path: ItemPath, body: ItemPatchSchema }, async ({ path, body }) => ({
  statusCode: 200,
  body: (await itemsService().update(path.id, body)) satisfies ItemBody,
}));
