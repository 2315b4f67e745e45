import * as z from 'zod';
import { ItemIdSchema, MAX_PAGE_SIZE } from '../domain';

export const ItemPath = z.object({ id: ItemIdSchema });

export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(20),
  cursor: z.string().min(1).optional(),
});
