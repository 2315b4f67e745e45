import * as z from 'zod';
import { ItemIdSchema, NewItemSchema, type Item, type ItemPage } from '../domain';

// What the routes answer, beside what they accept (./schemas.ts). Nothing
// parses these at run time and the handlers import only their types, so no
// bundle carries them: the handlers type their bodies against them
// (`satisfies`), and the OpenAPI document (src/api/openapi.ts) renders them as
// the components their ids name. The checks at the bottom fail the typecheck
// when the domain's Item and these schemas drift apart.
const timestamp = z.iso.datetime().meta({ description: 'ISO 8601, UTC' });

export const ItemSchema = z
  .object({
    id: ItemIdSchema,
    // The same constraints as the request that created or changed it.
    ...NewItemSchema.shape,
    version: z.number().int().positive().meta({ description: 'Bumped by every change; a PATCH sends the current one as expectedVersion' }),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Item' });

export const ItemPageSchema = z
  .object({
    items: z.array(ItemSchema),
    nextCursor: z.string().nullable().meta({ description: 'Pass it back as `cursor` for the next page; null on the last page' }),
  })
  .meta({ id: 'ItemPage' });

export type ItemBody = z.output<typeof ItemSchema>;
export type ItemPageBody = z.output<typeof ItemPageSchema>;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _itemIsDocumented: Same<Item, ItemBody> = true;
const _pageIsDocumented: Same<ItemPage, ItemPageBody> = true;
