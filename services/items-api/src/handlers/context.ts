import { cursorCodecFromEnv, Table } from '@platform/dynamo';
import { requiredEnv } from '@platform/errors';
import { ItemsService, OrdersService } from '../domain';

let table: Table | undefined;
let items: ItemsService | undefined;
let orders: OrdersService | undefined;

// Built on first use and kept for the container's life, so SDK clients are reused.
const itemsTable = (): Table => (table ??= new Table(requiredEnv('TABLE_NAME')));

export const itemsService = (): ItemsService => (items ??= new ItemsService(itemsTable(), cursorCodecFromEnv()));

export const ordersService = (): OrdersService => (orders ??= new OrdersService(itemsTable()));
