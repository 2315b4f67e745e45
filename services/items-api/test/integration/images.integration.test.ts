import { unmarshall } from '@aws-sdk/util-dynamodb';
import { correlationIdOf, createCursorCodec, Table, type TableChange } from '@platform/dynamo';
import { TooManyRequestsError, NotFoundError } from '@platform/errors';
import { withCorrelationId } from '@platform/observability';
import { readTableStream, serviceTableForFile } from '@platform/testing';
import { DynamoImageRecords } from '../../src/adapters/dynamo-image-records';
import { DynamoItemStore } from '../../src/adapters/dynamo-item-store';
import { eventForChange } from '../../src/adapters/outbox';
import { ItemImages, ItemsService, newImageId, uploadKey, type ImageType } from '../../src/domain';
import { imageBytes, InMemoryImageStorage } from '../support/in-memory-image-storage';

// Item images on DynamoDB Local (the items table from serverless.yml), with the files in memory:
// pending-upload slots, the version guard, refusals and redeliveries.
const testTable = serviceTableForFile('items-api', 'ItemsTable', (name) => new Table(name));
let items: ItemsService;

beforeAll(() => {
  items = new ItemsService(new DynamoItemStore(testTable.table, createCursorCodec('images-integration-secret')));
});

const setup = (now: () => Date = () => new Date()) => {
  const storage = new InMemoryImageStorage();
  const images = new ItemImages(storage, new DynamoImageRecords(testTable.table), { maxBytes: 1024 }, now);
  /** A client's upload through the form it was granted, as storage then holds it. */
  const upload = async (itemId: string, contentType: ImageType, body: Uint8Array = imageBytes(contentType as 'image/png')) => {
    const grant = await images.grantUpload(itemId, { contentType }, { correlationId: `req-${itemId}` });
    const form = storage.forms.at(-1)!;
    storage.put(form.key, body, contentType, form.metadata);
    return grant.imageId;
  };
  const processed = async (itemId: string, imageId: string) => {
    const key = uploadKey(itemId, imageId);
    return images.processUpload(key, await images.readUpload(key));
  };
  return { storage, images, upload, processed };
};

/** The events the outbox makes of the item's row changes so far (its stream, read whole). */
const itemUpdates = async (itemId: string) => {
  const { Records } = await readTableStream(testTable.name);
  return Records.map((record): TableChange => {
    const image = (raw: unknown) => (raw ? unmarshall(raw as Parameters<typeof unmarshall>[0]) : undefined);
    const newImage = image(record.dynamodb?.NewImage);
    return { kind: record.eventName as TableChange['kind'], oldImage: image(record.dynamodb?.OldImage), newImage, correlationId: correlationIdOf(newImage) };
  })
    .map(eventForChange)
    .filter((event) => event?.type === 'item.updated' && (event.data as { id: string }).id === itemId);
};

const newItem = () => items.create({ name: 'lamp', priceCents: 100, stock: 1 });

describe('uploads pending per item', () => {
  it('grants 3 at a time, the 4th a 429 until one is processed, and none for an unknown item', async () => {
    const { images, upload, processed } = setup();
    const item = await newItem();
    const ids = [await upload(item.id, 'image/png'), await upload(item.id, 'image/png'), await upload(item.id, 'image/png')];
    const refused = await images.grantUpload(item.id, { contentType: 'image/png' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TooManyRequestsError);
    expect((refused as TooManyRequestsError).retryAfterSeconds).toBeGreaterThan(0);
    expect((refused as TooManyRequestsError).retryAfterSeconds).toBeLessThanOrEqual(300);
    await processed(item.id, ids[0]!);
    await expect(images.grantUpload(item.id, { contentType: 'image/jpeg' })).resolves.toMatchObject({ upload: { maxBytes: 1024 } });
    await expect(images.grantUpload('no-such-item', { contentType: 'image/png' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('frees a slot whose form expired', async () => {
    let clock = Date.now();
    const { images, upload } = setup(() => new Date(clock));
    const item = await newItem();
    for (let n = 0; n < 3; n += 1) await upload(item.id, 'image/webp');
    await expect(images.grantUpload(item.id, { contentType: 'image/png' })).rejects.toBeInstanceOf(TooManyRequestsError);
    clock += 301_000;
    await expect(images.grantUpload(item.id, { contentType: 'image/png' })).resolves.toBeDefined();
  });
});

describe('processing an upload', () => {
  it('moves a good image under images/, records it as a new version in the upload\'s flow, and a redelivery changes nothing', async () => {
    const { storage, upload, processed } = setup();
    const item = await newItem();
    const imageId = await upload(item.id, 'image/png');
    const result = await processed(item.id, imageId);
    expect(result).toMatchObject({ outcome: 'recorded', image: { id: imageId, key: `images/${item.id}/${imageId}.png`, contentType: 'image/png', bytes: 64 } });
    expect(storage.objects.has(uploadKey(item.id, imageId))).toBe(false);
    expect(storage.objects.get(`images/${item.id}/${imageId}.png`)?.contentType).toBe('image/png');
    const stored = await items.get(item.id);
    expect(stored).toMatchObject({ version: 2, image: { id: imageId, contentType: 'image/png', bytes: 64 } });

    // The redelivered notification: the upload is gone, nothing changes.
    await expect(processed(item.id, imageId)).resolves.toEqual({ outcome: 'already-done', itemId: item.id, imageId });
    expect(await items.get(item.id)).toEqual(stored);

    // The outbox publishes the change as item.updated, in the flow of the request that granted the upload.
    expect(await itemUpdates(item.id)).toEqual([
      expect.objectContaining({ id: `item.updated:${item.id}:2`, data: expect.objectContaining({ image: { id: imageId, contentType: 'image/png', bytes: 64 } }) }),
    ]);
  });

  it('joins the flow its upload carries, when the handler runs it in that flow', async () => {
    const { upload, images } = setup();
    const item = await newItem();
    const imageId = await upload(item.id, 'image/jpeg');
    const key = uploadKey(item.id, imageId);
    const read = await images.readUpload(key);
    expect(read?.correlationId).toBe(`req-${item.id}`);
    await withCorrelationId(read?.correlationId, () => images.processUpload(key, read));
    const [event] = await itemUpdates(item.id);
    expect(event?.correlationId).toBe(`req-${item.id}`);
  });

  it('never lets a late upload replace an image granted after it', async () => {
    const { storage, upload, processed } = setup();
    const item = await newItem();
    const earlier = await upload(item.id, 'image/png');
    const later = await upload(item.id, 'image/jpeg');
    await expect(processed(item.id, later)).resolves.toMatchObject({ outcome: 'recorded' });
    await expect(processed(item.id, earlier)).resolves.toMatchObject({ outcome: 'refused', reason: 'SUPERSEDED' });
    expect((await items.get(item.id))?.image?.id).toBe(later);
    // The late file is gone, the upload too; the winner stays.
    expect([...storage.objects.keys()]).toEqual([`images/${item.id}/${later}.jpg`]);
  });

  it('replaces an earlier image with a later one, deleting the earlier file', async () => {
    const { storage, upload, processed } = setup();
    const item = await newItem();
    const first = await upload(item.id, 'image/png');
    await processed(item.id, first);
    const second = await upload(item.id, 'image/webp');
    await expect(processed(item.id, second)).resolves.toMatchObject({ outcome: 'recorded', replaced: first });
    expect([...storage.objects.keys()]).toEqual([`images/${item.id}/${second}.webp`]);
    expect(await items.get(item.id)).toMatchObject({ version: 3, image: { id: second } });
  });

  it('refuses and deletes a text file declared image/png, an oversized file, and an upload for a deleted item; the item is unchanged', async () => {
    const { storage, upload, processed } = setup();
    const item = await newItem();
    const fake = await upload(item.id, 'image/png', new TextEncoder().encode('definitely not a PNG, just text'));
    await expect(processed(item.id, fake)).resolves.toMatchObject({ outcome: 'refused', reason: 'CONTENT_MISMATCH' });
    const big = await upload(item.id, 'image/png', imageBytes('image/png', 2048));
    await expect(processed(item.id, big)).resolves.toMatchObject({ outcome: 'refused', reason: 'TOO_LARGE' });
    expect(await items.get(item.id)).toMatchObject({ version: 1 });
    expect((await items.get(item.id))?.image).toBeUndefined();

    const orphan = await upload(item.id, 'image/png');
    const removed = await items.remove(item.id);
    expect(removed).toEqual({});
    await expect(processed(item.id, orphan)).resolves.toMatchObject({ outcome: 'refused', reason: 'ITEM_GONE' });
    expect(storage.objects.size).toBe(0);
  });

  it('removes a deleted item\'s image with it', async () => {
    const { upload, processed, images, storage } = setup();
    const item = await newItem();
    const imageId = await upload(item.id, 'image/png');
    await processed(item.id, imageId);
    const { image } = await items.remove(item.id);
    expect(image?.id).toBe(imageId);
    await images.forget(image!);
    expect(storage.objects.size).toBe(0);
  });

  it('deletes an upload under a key it does not grant', async () => {
    const { storage, images } = setup();
    storage.put('uploads/whatever.png', imageBytes('image/png'), 'image/png');
    await expect(images.processUpload('uploads/whatever.png', await images.readUpload('uploads/whatever.png'))).resolves.toMatchObject({ outcome: 'refused', reason: 'MALFORMED_KEY' });
    expect(storage.objects.size).toBe(0);
    expect(newImageId()).toMatch(/^[0-9a-f-]{36}$/);
  });
});
