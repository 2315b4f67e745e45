import { randomBytes } from 'node:crypto';
import { NotFoundError, TooManyRequestsError } from '@platform/errors';
import * as z from 'zod';

// Item images. A client asks for an upload (grantUpload) and sends the file
// straight to storage with the form it gets; storage then reports the upload,
// and processUpload checks the file, moves it and records it on the item. The
// domain knows the rules (types, sizes, pending uploads, which image wins), not
// S3, SQS or HTTP: those are the ports below.

/** The image types an item may have, each with its file extension and the bytes its files start with. */
export const IMAGE_TYPES = {
  'image/jpeg': { extension: 'jpg' },
  'image/png': { extension: 'png' },
  'image/webp': { extension: 'webp' },
} as const;
export type ImageType = keyof typeof IMAGE_TYPES;
export const ImageTypeSchema = z.enum(Object.keys(IMAGE_TYPES) as [ImageType, ...ImageType[]]);

export const ImageUploadRequestSchema = z.strictObject({
  contentType: ImageTypeSchema.meta({ description: 'The type of the file the form will carry; the upload must declare the same' }),
});
export type ImageUploadRequest = z.output<typeof ImageUploadRequestSchema>;

/** How many leading bytes the type check reads. */
export const SNIFF_BYTES = 16;

const startsWith = (bytes: Uint8Array, signature: readonly number[], at = 0) =>
  bytes.length >= at + signature.length && signature.every((byte, index) => bytes[at + index] === byte);

const ascii = (text: string) => [...text].map((character) => character.charCodeAt(0));

/**
 * The image type a file's first bytes say it is, whatever its name or declared
 * type: JPEG (FF D8 FF), PNG (its 8-byte signature), WebP (RIFF....WEBP).
 */
export const sniffImageType = (head: Uint8Array): ImageType | undefined => {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return 'image/webp';
  return undefined;
};

export type RefusalReason = 'NOT_AN_IMAGE_TYPE' | 'CONTENT_MISMATCH' | 'EMPTY' | 'TOO_LARGE' | 'MALFORMED_KEY';

export type UploadCheck = { accepted: true; contentType: ImageType } | { accepted: false; reason: RefusalReason; detail: string };

/**
 * Whether an uploaded file may become the item's image: its declared type is
 * one of IMAGE_TYPES, its first bytes are that type's, and its size is within
 * 1 byte..maxBytes (storage enforced that too; this does not trust it to).
 */
export const checkUpload = ({ declaredType, head, bytes, maxBytes }: { declaredType: string | undefined; head: Uint8Array; bytes: number; maxBytes: number }): UploadCheck => {
  const declared = ImageTypeSchema.safeParse(declaredType);
  if (!declared.success) return { accepted: false, reason: 'NOT_AN_IMAGE_TYPE', detail: `declared type ${declaredType ?? '(none)'} is not an image type this API takes` };
  if (bytes < 1) return { accepted: false, reason: 'EMPTY', detail: 'the file is empty' };
  if (bytes > maxBytes) return { accepted: false, reason: 'TOO_LARGE', detail: `${bytes} bytes, over the limit of ${maxBytes}` };
  const sniffed = sniffImageType(head);
  if (sniffed !== declared.data) {
    return { accepted: false, reason: 'CONTENT_MISMATCH', detail: `declared ${declared.data}, but its first bytes are ${sniffed ?? 'not an image this API takes'}` };
  }
  return { accepted: true, contentType: declared.data };
};

/**
 * A new image id: a UUID version 7, whose first 48 bits are the time it was
 * made (RFC 9562), so ids compare in the order uploads were granted: a later
 * grant's image wins over an earlier one's, whichever is processed last.
 */
export const newImageId = (now: number = Date.now()): string => {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

export const ImageIdSchema = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

/** Where an upload lands and where its image is kept, by item and image id. */
export const uploadKey = (itemId: string, imageId: string) => `uploads/${itemId}/${imageId}`;
export const imageKey = (itemId: string, imageId: string, contentType: ImageType) => `images/${itemId}/${imageId}.${IMAGE_TYPES[contentType].extension}`;

/** The item and image an upload key names, if it is one this API made. */
export const parseUploadKey = (key: string): { itemId: string; imageId: string } | undefined => {
  const match = /^uploads\/([A-Za-z0-9_-]{1,64})\/([^/]+)$/.exec(key);
  if (!match || !ImageIdSchema.safeParse(match[2]).success) return undefined;
  return { itemId: match[1] as string, imageId: match[2] as string };
};

/** An item's image as stored with it. */
export interface ItemImage {
  id: string;
  key: string;
  contentType: ImageType;
  bytes: number;
}

/** A granted upload: where and how the client sends the file. */
export interface UploadForm {
  url: string;
  fields: Record<string, string>;
}

export interface ImageUploadGrant {
  imageId: string;
  upload: UploadForm & { expiresAt: string; maxBytes: number };
}

/** An upload as storage holds it, before it is checked. */
export interface StoredUpload {
  declaredType: string | undefined;
  bytes: number;
  head: Uint8Array;
  /** The upload slot it holds (metadata the grant's form set), to free once it is done. */
  slot?: number;
  /** The flow of the request that granted it (metadata the grant's form set). */
  correlationId?: string;
}

/** Where the files are (S3). */
export interface ImageStorage {
  /** A form that lets its holder upload one file of `contentType`, 1..maxBytes bytes, to `key`, until `expiresAt`. */
  uploadForm(request: { key: string; contentType: ImageType; maxBytes: number; expiresInSeconds: number; metadata: Record<string, string> }): Promise<UploadForm>;
  /** The upload's declared type, size, metadata and first `SNIFF_BYTES` bytes; undefined when it is gone. */
  readUpload(key: string): Promise<StoredUpload | undefined>;
  /** Copies `from` to `to` with `contentType`. */
  copy(from: string, to: string, contentType: ImageType): Promise<void>;
  /** Deletes `key` (nothing when it is gone). */
  delete(key: string): Promise<void>;
}

/** Where items record their images and their pending uploads (the items table). */
export interface ImageRecords {
  /**
   * Claims one of the item's `slots` pending-upload slots until `expiresAt`
   * (a slot whose time is past is free). Throws NotFoundError when the item
   * does not exist; returns undefined when every slot is taken, with the
   * earliest time one frees.
   */
  claimUploadSlot(request: { itemId: string; imageId: string; slots: number; expiresAt: Date; now: Date }): Promise<{ slot: number } | { freeAt: Date }>;
  /** Frees the slot if it still holds this image's upload. */
  releaseUploadSlot(itemId: string, slot: number, imageId: string): Promise<void>;
  /**
   * Records `image` on the item, as a change of the item (a new version), if
   * the item exists and has no image granted later (a later id). Returns what
   * happened: recorded (with the image it replaced), already recorded, or why not.
   */
  recordImage(itemId: string, image: ItemImage): Promise<{ outcome: 'recorded'; replaced?: ItemImage } | { outcome: 'already-recorded' } | { outcome: 'superseded' } | { outcome: 'item-gone' }>;
}

/** What processing an upload came to, for the handler's log and metrics. */
export type UploadOutcome =
  | { outcome: 'recorded'; itemId: string; image: ItemImage; replaced?: string }
  | { outcome: 'already-done'; itemId: string; imageId: string }
  | { outcome: 'refused'; reason: RefusalReason | 'ITEM_GONE' | 'SUPERSEDED'; detail: string; key: string };

export interface ImagesOptions {
  maxBytes: number;
  /** How long a granted form may be used. */
  uploadSeconds?: number;
  /** How many uploads an item may have pending at once. */
  pendingUploads?: number;
}

export const DEFAULT_UPLOAD_SECONDS = 300;
export const DEFAULT_PENDING_UPLOADS = 3;

/** Item images: granting uploads, and checking, moving and recording what was uploaded. */
export class ItemImages {
  private readonly maxBytes: number;
  private readonly uploadSeconds: number;
  private readonly pendingUploads: number;

  constructor(
    private readonly storage: ImageStorage,
    private readonly records: ImageRecords,
    { maxBytes, uploadSeconds = DEFAULT_UPLOAD_SECONDS, pendingUploads = DEFAULT_PENDING_UPLOADS }: ImagesOptions,
    private readonly now: () => Date = () => new Date(),
    private readonly newId: (now: number) => string = newImageId,
  ) {
    if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new Error(`maxBytes must be a whole number from 1, got ${maxBytes}`);
    this.maxBytes = maxBytes;
    this.uploadSeconds = uploadSeconds;
    this.pendingUploads = pendingUploads;
  }

  /**
   * A form for one image upload of the item, if it exists and has fewer than
   * `pendingUploads` uploads pending (else TooManyRequestsError, with when one frees).
   */
  async grantUpload(itemId: string, { contentType }: ImageUploadRequest, flow: { correlationId?: string } = {}): Promise<ImageUploadGrant> {
    const now = this.now();
    const imageId = this.newId(now.getTime());
    const expiresAt = new Date(now.getTime() + this.uploadSeconds * 1000);
    const claim = await this.records.claimUploadSlot({ itemId, imageId, slots: this.pendingUploads, expiresAt, now });
    if ('freeAt' in claim) {
      throw new TooManyRequestsError(
        `Item ${itemId} has ${this.pendingUploads} uploads pending; one frees when it is processed or its form expires`,
        Math.max(1, Math.ceil((claim.freeAt.getTime() - now.getTime()) / 1000)),
      );
    }
    const form = await this.storage.uploadForm({
      key: uploadKey(itemId, imageId),
      contentType,
      maxBytes: this.maxBytes,
      expiresInSeconds: this.uploadSeconds,
      metadata: { 'upload-slot': String(claim.slot), ...(flow.correlationId && { 'correlation-id': flow.correlationId }) },
    });
    return { imageId, upload: { ...form, expiresAt: expiresAt.toISOString(), maxBytes: this.maxBytes } };
  }

  /** The upload as storage holds it (undefined: gone), read before processUpload so its flow is known. */
  readUpload(key: string): Promise<StoredUpload | undefined> {
    return this.storage.readUpload(key);
  }

  /** Deletes the file of a deleted item's image. */
  forget(image: ItemImage): Promise<void> {
    return this.storage.delete(image.key);
  }

  /**
   * Checks one uploaded file (`upload`: as readUpload gave it) and, if it is an image of its declared type and
   * size, copies it under images/ and records it on its item; the upload is
   * deleted either way, and its slot freed. Running it again for the same
   * upload changes nothing: the upload is gone, or the item already has it.
   * A late upload never replaces an image granted after it.
   */
  async processUpload(key: string, upload: StoredUpload | undefined): Promise<UploadOutcome> {
    const names = parseUploadKey(key);
    if (!names) {
      await this.storage.delete(key);
      return { outcome: 'refused', reason: 'MALFORMED_KEY', detail: 'not a key this API grants uploads to', key };
    }
    const { itemId, imageId } = names;
    if (!upload) return { outcome: 'already-done', itemId, imageId };
    const done = async () => {
      await this.storage.delete(key);
      if (upload.slot !== undefined) await this.records.releaseUploadSlot(itemId, upload.slot, imageId);
    };

    const check = checkUpload({ declaredType: upload.declaredType, head: upload.head, bytes: upload.bytes, maxBytes: this.maxBytes });
    if (!check.accepted) {
      await done();
      return { outcome: 'refused', reason: check.reason, detail: check.detail, key };
    }
    const image: ItemImage = { id: imageId, key: imageKey(itemId, imageId, check.contentType), contentType: check.contentType, bytes: upload.bytes };
    await this.storage.copy(key, image.key, image.contentType);
    const recorded = await this.records.recordImage(itemId, image);
    switch (recorded.outcome) {
      case 'recorded':
        if (recorded.replaced && recorded.replaced.key !== image.key) await this.storage.delete(recorded.replaced.key);
        await done();
        return { outcome: 'recorded', itemId, image, ...(recorded.replaced && { replaced: recorded.replaced.id }) };
      case 'already-recorded':
        await done();
        return { outcome: 'already-done', itemId, imageId };
      case 'superseded':
      case 'item-gone':
        await this.storage.delete(image.key);
        await done();
        return recorded.outcome === 'superseded'
          ? { outcome: 'refused', reason: 'SUPERSEDED', detail: 'the item already has an image granted after this one', key }
          : { outcome: 'refused', reason: 'ITEM_GONE', detail: 'the item was deleted', key };
    }
  }
}

/** NotFoundError for an item an upload was asked for. */
export const noSuchItem = (itemId: string) => new NotFoundError(`Item ${itemId} not found`);
