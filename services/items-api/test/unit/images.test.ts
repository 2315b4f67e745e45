import { checkUpload, imageKey, newImageId, parseUploadKey, sniffImageType, uploadKey, ImageIdSchema } from '../../src/domain';
import { imageBytes, IMAGE_HEADS } from '../support/in-memory-image-storage';

describe('the magic-number check', () => {
  it.each(Object.keys(IMAGE_HEADS) as Array<keyof typeof IMAGE_HEADS>)('knows %s by its first bytes', (type) => {
    expect(sniffImageType(imageBytes(type))).toBe(type);
  });

  it('knows no type in text, an empty file, a truncated signature or a RIFF that is not WebP', () => {
    expect(sniffImageType(new TextEncoder().encode('just text, named cat.png'))).toBeUndefined();
    expect(sniffImageType(new Uint8Array())).toBeUndefined();
    expect(sniffImageType(new Uint8Array([0x89, 0x50, 0x4e, 0x47]))).toBeUndefined();
    expect(sniffImageType(new Uint8Array([...Buffer.from('RIFF'), 0, 0, 0, 0, ...Buffer.from('WAVE')]))).toBeUndefined();
  });

  it('accepts a file whose bytes are its declared type, within the size', () => {
    expect(checkUpload({ declaredType: 'image/png', head: imageBytes('image/png', 16), bytes: 1000, maxBytes: 1000 })).toEqual({ accepted: true, contentType: 'image/png' });
  });

  it('refuses a text file declared image/png, a JPEG declared PNG, an undeclared or foreign type, an empty or oversized file', () => {
    const text = new TextEncoder().encode('hello, I am text');
    const refusal = (declaredType: string | undefined, head: Uint8Array, bytes = 16) => {
      const check = checkUpload({ declaredType, head, bytes, maxBytes: 100 });
      return check.accepted ? 'accepted' : check.reason;
    };
    expect(refusal('image/png', text)).toBe('CONTENT_MISMATCH');
    expect(refusal('image/png', imageBytes('image/jpeg', 16))).toBe('CONTENT_MISMATCH');
    expect(refusal(undefined, imageBytes('image/png', 16))).toBe('NOT_AN_IMAGE_TYPE');
    expect(refusal('image/gif', imageBytes('image/png', 16))).toBe('NOT_AN_IMAGE_TYPE');
    expect(refusal('image/png', new Uint8Array(), 0)).toBe('EMPTY');
    expect(refusal('image/png', imageBytes('image/png', 16), 101)).toBe('TOO_LARGE');
  });
});

describe('image ids and keys', () => {
  it('are UUIDv7s that sort in the order they were made', () => {
    const ids = [1_700_000_000_000, 1_700_000_000_001, 1_800_000_000_000].map((at) => newImageId(at));
    ids.forEach((id) => expect(ImageIdSchema.safeParse(id).success).toBe(true));
    expect([...ids].reverse().sort()).toEqual(ids);
  });

  it('name uploads and images by item, and read only keys this API makes', () => {
    const id = newImageId();
    expect(parseUploadKey(uploadKey('item-1', id))).toEqual({ itemId: 'item-1', imageId: id });
    expect(imageKey('item-1', id, 'image/jpeg')).toBe(`images/item-1/${id}.jpg`);
    for (const key of ['uploads/item-1', `uploads/item-1/${id}/x`, `images/item-1/${id}`, 'uploads/item-1/not-an-id', `uploads/../${id}`]) {
      expect(parseUploadKey(key)).toBeUndefined();
    }
  });
});
