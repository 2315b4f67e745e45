import { cursorCodecFromEnv, Table, type CursorCodec } from '@platform/dynamo';
import { requiredEnv } from '@platform/errors';
import { DynamoItemStore } from '../adapters/dynamo-item-store';
import { DynamoReservationStore } from '../adapters/dynamo-reservation-store';
import { stockMetrics } from '../adapters/metrics';
import { ItemsService, StockKeeper } from '../domain';

let table: Table | undefined;
let items: ItemsService | undefined;
let stock: StockKeeper | undefined;

// Built on first use and kept for the container's life, so SDK clients are reused.
const itemsTable = (): Table => (table ??= new Table(requiredEnv('TABLE_NAME')));

// Only listItems makes or reads cursors, with the keys it loads per request (itemsListing).
const noCursors = (): never => {
  throw new Error('Only itemsListing() makes or reads cursors');
};
const NO_CURSORS: CursorCodec = { encode: noCursors, decode: noCursors };

export const itemsService = (): ItemsService => (items ??= new ItemsService(new DynamoItemStore(itemsTable(), NO_CURSORS)));

/**
 * The catalogue with the cursor codec of the current keys, for a request with
 * `cursor` (or none): cheap per request, the keys are cached (see cursorCodecFromEnv).
 */
export const itemsListing = async (cursor?: string): Promise<ItemsService> =>
  new ItemsService(new DynamoItemStore(itemsTable(), await cursorCodecFromEnv(cursor)));

export const stockKeeper = (): StockKeeper => (stock ??= new StockKeeper(new DynamoReservationStore(itemsTable()), { probe: stockMetrics }));
