import { cursorCodecFromEnv, Table } from '@platform/dynamo';
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

export const itemsService = (): ItemsService => (items ??= new ItemsService(new DynamoItemStore(itemsTable(), cursorCodecFromEnv())));

export const stockKeeper = (): StockKeeper => (stock ??= new StockKeeper(new DynamoReservationStore(itemsTable()), { probe: stockMetrics }));
