import { httpHandler } from '@platform/handler-kit';
import { imageUrl, itemsListing } from './context';
import { itemBody } from './item-body';
import type { ItemPageBody } from './responses';
import { ListQuery } from './schemas';

export const handler = httpHandler({ query: ListQuery }, async ({ query }) => {
  const page = await (await itemsListing(query.cursor)).list(query.limit, query.cursor);
  return {
    statusCode: 200,
    body: { items: await Promise.all(page.items.map((item) => itemBody(item, imageUrl))), nextCursor: page.nextCursor } satisfies ItemPageBody,
  };
});
