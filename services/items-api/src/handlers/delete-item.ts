import { httpHandler } from '@platform/handler-kit';
import { itemImages, itemsService } from './context';
import { ItemPath } from './schemas';

export const handler = httpHandler({ path: ItemPath }, async ({ path, logger }) => {
  const { image } = await itemsService().remove(path.id);
  // The item is gone whatever happens to its file: a failure here is logged (and the file found
  // by its key, images/<itemId>/…), not answered, since the client's delete did succeed.
  if (image) {
    await itemImages()
      .forget(image)
      .catch((error: unknown) => logger.error('the deleted item\'s image file was not deleted', { key: image.key, error: error as Error }));
  }
  return { statusCode: 204 };
});
