import type { Item } from '../domain';
import type { ItemBody } from './responses';

/** Signs an image's URL (S3ImageStorage.imageUrl). */
export type ImageLinks = (key: string) => Promise<string>;

/** An item as the API answers it: its image, if any, as a URL a client can read for a while. */
export const itemBody = async ({ image, ...item }: Item, imageUrl: ImageLinks): Promise<ItemBody> => ({
  ...item,
  image: image ? { url: await imageUrl(image.key), contentType: image.contentType, bytes: image.bytes } : null,
});
