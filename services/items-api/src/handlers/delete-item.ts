import { httpHandler } from '@platform/handler-kit';
import { itemsService } from './context';
import { ItemPath } from './schemas';

export const handler = httpHandler({ path: ItemPath }, async ({ path }) => {
  await itemsService().remove(path.id);
  return { statusCode: 204 };
});
