import * as z from 'zod';
import type { ItemImage } from './images';

// C0 controls, DEL and C1 controls (Unicode's Cc): invisible, or they break the
// logs, terminals and exports a name ends up in. Written as ranges, not \p{Cc},
// so that the OpenAPI document's `pattern` reads the same in every regex dialect.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f-\u009f]*$/;
// With the u flag, \p{Cs} matches only a surrogate that is not half of a pair:
// a string no UTF-8 store or client can carry as it is.
const LONE_SURROGATE = /\p{Cs}/u;

const name = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(NO_CONTROL_CHARACTERS, 'Must not contain control characters')
  .refine((value) => !LONE_SURROGATE.test(value), 'Must not contain a lone UTF-16 surrogate')
  .meta({ description: 'Trimmed; no control characters (U+0000–U+001F, U+007F–U+009F) and no lone UTF-16 surrogate' });
const description = z.string().max(2000);
const priceCents = z.number().int().nonnegative().max(100_000_000);
const stock = z.number().int().nonnegative().max(1_000_000);

export const NewItemSchema = z.strictObject({
  name,
  description: description.optional(),
  priceCents,
  stock,
});

export const ItemPatchSchema = z
  .strictObject({
    expectedVersion: z.number().int().positive(),
    name: name.optional(),
    description: description.optional(),
    priceCents: priceCents.optional(),
    stock: stock.optional(),
  })
  .refine(({ expectedVersion: _version, ...changes }) => Object.values(changes).some((value) => value !== undefined), {
    message: 'At least one of name, description, priceCents or stock must be given',
  });

export const ItemIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

export type NewItem = z.output<typeof NewItemSchema>;
export type ItemPatch = z.output<typeof ItemPatchSchema>;

export interface Item {
  id: string;
  name: string;
  description?: string;
  priceCents: number;
  stock: number;
  version: number;
  createdAt: string;
  updatedAt: string;
  /** Its image, once one was uploaded and checked (domain/images.ts). */
  image?: ItemImage;
}
