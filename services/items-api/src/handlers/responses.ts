import * as z from 'zod';
import { ImageIdSchema, ImageTypeSchema, ItemIdSchema, NewItemSchema, type Item, type ItemPage } from '../domain';

// What the routes answer, beside what they accept (./schemas.ts). Nothing
// parses these at run time and the handlers import only their types, so no
// bundle carries them: the handlers type their bodies against them
// (`satisfies`), and the OpenAPI document (src/api/openapi.ts) renders them as
// the components their ids name. The checks at the bottom fail the typecheck
// when the domain's Item and these schemas drift apart.
const timestamp = z.iso.datetime().meta({ description: 'ISO 8601, UTC' });

export const ItemImageSchema = z
  .object({
    url: z.url().meta({ description: 'Reads the image for 15 minutes (a presigned S3 GET); read the item again for a new one' }),
    contentType: ImageTypeSchema,
    bytes: z.number().int().positive(),
  })
  .meta({ id: 'ItemImage' });

export const ItemSchema = z
  .object({
    id: ItemIdSchema,
    // The same constraints as the request that created or changed it.
    ...NewItemSchema.shape,
    version: z.number().int().positive().meta({ description: 'Bumped by every change; a PATCH sends the current one as expectedVersion' }),
    createdAt: timestamp,
    updatedAt: timestamp,
    image: ItemImageSchema.nullable().meta({ description: 'The item\'s image; null until one is uploaded (POST /items/{id}/image-uploads) and checked' }),
  })
  .meta({ id: 'Item' });

export const ItemPageSchema = z
  .object({
    items: z.array(ItemSchema),
    nextCursor: z.string().nullable().meta({ description: 'Pass it back as `cursor` for the next page; null on the last page' }),
  })
  .meta({ id: 'ItemPage' });

export const ImageUploadSchema = z
  .object({
    imageId: ImageIdSchema.meta({ description: 'The image this upload becomes, once checked' }),
    upload: z.object({
      url: z.url().meta({ description: 'POST the form here (multipart/form-data): every field of `fields`, then the file as `file`, last' }),
      fields: z.record(z.string(), z.string()).meta({ description: 'Form fields to send as they are; the policy they carry is signed and refuses any change' }),
      expiresAt: timestamp.meta({ description: 'The form is refused after this (5 minutes after it was granted)' }),
      maxBytes: z.number().int().positive().meta({ description: 'The largest file the form takes; a larger one is refused by storage (400 EntityTooLarge)' }),
    }),
  })
  .meta({ id: 'ImageUpload' });

export type ItemBody = z.output<typeof ItemSchema>;
export type ItemPageBody = z.output<typeof ItemPageSchema>;
export type ImageUploadBody = z.output<typeof ImageUploadSchema>;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
// The stored image (its key) becomes a URL in the answer; everything else is the same.
const _itemIsDocumented: Same<Omit<Item, 'image'>, Omit<ItemBody, 'image'>> = true;
const _pageIsDocumented: Same<ItemPage['nextCursor'], ItemPageBody['nextCursor']> = true;
