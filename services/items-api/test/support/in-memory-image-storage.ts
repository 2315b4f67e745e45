import type { ImageStorage, ImageType, StoredUpload } from '../../src/domain';

interface StoredObject {
  body: Uint8Array;
  contentType?: string;
  metadata: Record<string, string>;
}

/** Image files in memory, for the domain's tests: what ImageStorage promises, nothing of S3. */
export class InMemoryImageStorage implements ImageStorage {
  readonly objects = new Map<string, StoredObject>();
  readonly forms: Array<Parameters<ImageStorage['uploadForm']>[0]> = [];

  /** A client's upload through a granted form: what storage then holds. */
  put(key: string, body: Uint8Array, contentType: string | undefined, metadata: Record<string, string> = {}) {
    this.objects.set(key, { body, contentType, metadata });
  }

  async uploadForm(request: Parameters<ImageStorage['uploadForm']>[0]) {
    this.forms.push(request);
    return { url: 'https://storage.invalid/bucket', fields: { key: request.key, 'Content-Type': request.contentType } };
  }

  async readUpload(key: string): Promise<StoredUpload | undefined> {
    const object = this.objects.get(key);
    if (!object) return undefined;
    const slot = object.metadata['upload-slot'];
    return {
      declaredType: object.contentType,
      bytes: object.body.length,
      head: object.body.slice(0, 16),
      ...(slot !== undefined && { slot: Number(slot) }),
      ...(object.metadata['correlation-id'] && { correlationId: object.metadata['correlation-id'] }),
    };
  }

  async copy(from: string, to: string, contentType: ImageType) {
    const object = this.objects.get(from);
    if (!object) throw new Error(`NoSuchKey ${from}`);
    this.objects.set(to, { ...object, contentType, metadata: {} });
  }

  async delete(key: string) {
    this.objects.delete(key);
  }
}

/** The first bytes of each type, and a body of `bytes` bytes that starts with them. */
export const IMAGE_HEADS = {
  'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  'image/jpeg': [0xff, 0xd8, 0xff, 0xe0],
  'image/webp': [...Buffer.from('RIFF'), 0x24, 0, 0, 0, ...Buffer.from('WEBPVP8 ')],
} as const;

export const imageBytes = (type: keyof typeof IMAGE_HEADS, bytes = 64): Uint8Array => {
  const body = new Uint8Array(bytes);
  body.set(IMAGE_HEADS[type].slice(0, bytes));
  return body;
};
