import { cursorCodecFromEnv, Table } from '@platform/dynamo';
import { ItemsService, OrdersService } from '../domain';

let table: Table | undefined;
let items: ItemsService | undefined;
let orders: OrdersService | undefined;

// Built on first use and kept for the container's life, so SDK clients are reused.
const itemsTable = (): Table => {
  if (!table) {
    const tableName = process.env.TABLE_NAME;
    if (!tableName) throw new Error('TABLE_NAME is not set');
    table = new Table(tableName);
  }
  return table;
};

export const itemsService = (): ItemsService => (items ??= new ItemsService(itemsTable(), cursorCodecFromEnv()));

export const ordersService = (): OrdersService => (orders ??= new OrdersService(itemsTable()));
