import * as z from 'zod';

const name = z.string().trim().min(1).max(200);
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
}
