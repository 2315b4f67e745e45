import { cursorCodecFromEnv, Table, type CursorCodec } from '@platform/dynamo';
import { requiredEnv } from '@platform/errors';
import { DynamoItemStore } from '../adapters/dynamo-item-store';
import { DynamoImageRecords } from '../adapters/dynamo-image-records';
import { DynamoReservationStore } from '../adapters/dynamo-reservation-store';
import { stockMetrics } from '../adapters/metrics';
import { S3ImageStorage } from '../adapters/s3-image-storage';
import { ItemImages, ItemsService, StockKeeper } from '../domain';

let table: Table | undefined;
let items: ItemsService | undefined;
let stock: StockKeeper | undefined;
let storage: S3ImageStorage | undefined;
let images: ItemImages | undefined;

// Built on first use and kept for the container's life, so SDK clients are reused.
const itemsTable = (): Table => (table ??= new Table(requiredEnv('TABLE_NAME')));

// Only listItems makes or reads cursors, with the keys it loads per request (itemsListing).
const noCursors = (): never => {
  throw new Error('Only itemsListing() makes or reads cursors');
};
const NO_CURSORS: CursorCodec = { encode: noCursors, decode: noCursors };

/** How many counter shards hold the stock of each item created (STOCK_SHARDS; 1, the default: the item's row holds it). */
const stockShards = (): number => {
  const value = process.env.STOCK_SHARDS ?? '1';
  if (!/^\d+$/.test(value)) throw new Error(`STOCK_SHARDS must be a whole number, got ${value}`);
  return Number(value);
};

export const itemsService = (): ItemsService =>
  (items ??= new ItemsService(new DynamoItemStore(itemsTable(), NO_CURSORS, { stockShards: stockShards() })));

/**
 * The catalogue with the cursor codec of the current keys, for a request with
 * `cursor` (or none): cheap per request, the keys are cached (see cursorCodecFromEnv).
 */
export const itemsListing = async (cursor?: string): Promise<ItemsService> =>
  new ItemsService(new DynamoItemStore(itemsTable(), await cursorCodecFromEnv(cursor), { stockShards: stockShards() }));

export const stockKeeper = (): StockKeeper => (stock ??= new StockKeeper(new DynamoReservationStore(itemsTable()), { probe: stockMetrics }));

const imageStorage = (): S3ImageStorage => (storage ??= new S3ImageStorage(requiredEnv('IMAGES_BUCKET')));

/** The largest image file an upload may carry (IMAGE_MAX_BYTES). */
const imageMaxBytes = (): number => {
  const value = requiredEnv('IMAGE_MAX_BYTES');
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new Error(`IMAGE_MAX_BYTES must be a whole number of bytes from 1, got ${value}`);
  return Number(value);
};

export const itemImages = (): ItemImages =>
  (images ??= new ItemImages(imageStorage(), new DynamoImageRecords(itemsTable()), { maxBytes: imageMaxBytes() }));

/** Signs the URL of an item's image (no call to S3). */
export const imageUrl = (key: string): Promise<string> => imageStorage().imageUrl(key);
