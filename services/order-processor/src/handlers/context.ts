import { Table } from '@platform/dynamo';
import { requiredEnv } from '@platform/errors';
import { DynamoOrderStore } from '../adapters/dynamo-order-store';
import { ordersMetrics } from '../adapters/metrics';
import { DEFAULT_STUCK_AFTER_MINUTES, OrdersService } from '../domain';

let orders: OrdersService | undefined;

// Built on first use and kept for the container's life, so SDK clients are reused.
export const ordersService = (): OrdersService =>
  (orders ??= new OrdersService(new DynamoOrderStore(new Table(requiredEnv('TABLE_NAME'))), { probe: ordersMetrics }));

/** STUCK_ORDER_AFTER_MINUTES, a positive number of minutes; DEFAULT_STUCK_AFTER_MINUTES when unset. */
export const stuckOrderAfterMinutes = (value = process.env.STUCK_ORDER_AFTER_MINUTES): number => {
  if (value === undefined || value.trim() === '') return DEFAULT_STUCK_AFTER_MINUTES;
  const minutes = Number(value);
  if (!Number.isFinite(minutes) || minutes <= 0) throw new Error(`STUCK_ORDER_AFTER_MINUTES must be a positive number of minutes, is ${JSON.stringify(value)}`);
  return minutes;
};
