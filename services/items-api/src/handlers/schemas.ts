import * as z from 'zod';
import { ItemIdSchema, MAX_PAGE_SIZE } from '../domain';

export const ItemPath = z.object({ id: ItemIdSchema });

/**
 * A query value of plain decimal digits as its number; anything else is left as
 * it is, for the number schema to refuse. Number() alone (z.coerce) would also
 * read '0x10', '1e1', '+16', ' 16 ' and '' as numbers.
 */
const decimalDigits = (value: unknown): unknown => (typeof value === 'string' && /^[0-9]+$/.test(value) ? Number(value) : value);

const notDigits = (issue: { code: string }) => (issue.code === 'invalid_type' ? 'Expected a whole number in plain decimal digits' : undefined);

export const ListQuery = z.object({
  // The default inside the pipe, where the OpenAPI document (which renders the pipe's output) shows it.
  limit: z.preprocess(decimalDigits, z.number({ error: notDigits }).int().min(1).max(MAX_PAGE_SIZE).default(20)),
  cursor: z.string().min(1).optional(),
});
