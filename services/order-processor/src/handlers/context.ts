import { Table } from '@platform/dynamo';
import { requiredEnv } from '@platform/errors';
import { DynamoOrderStore } from '../adapters/dynamo-order-store';
import { ordersMetrics } from '../adapters/metrics';
import { OrdersService } from '../domain';

let orders: OrdersService | undefined;

// Built on first use and kept for the container's life, so SDK clients are reused.
export const ordersService = (): OrdersService =>
  (orders ??= new OrdersService(new DynamoOrderStore(new Table(requiredEnv('TABLE_NAME'))), { probe: ordersMetrics }));
