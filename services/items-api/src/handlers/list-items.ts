import { httpHandler } from '@platform/handler-kit';
import { itemsListing } from './context';
import type { ItemPageBody } from './responses';
import { ListQuery } from './schemas';

export const handler = httpHandler({ query: ListQuery }, async ({ query }) => ({
  statusCode: 200,
  body: (await (await itemsListing(query.cursor)).list(query.limit, query.cursor)) satisfies ItemPageBody,
}));
