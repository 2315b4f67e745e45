import { countMetric } from '@platform/observability';
import type { OrdersProbe } from '../domain';

/** The orders domain's facts as business metrics (docs/operating.md): orders placed, confirmed, and rejected by reason. */
export const ordersMetrics: OrdersProbe = {
  placed: () => countMetric('OrdersPlaced'),
  decided: (decision) =>
    decision.status === 'CONFIRMED' ? countMetric('OrdersConfirmed') : countMetric('OrdersRejected', { reason: decision.reason }),
};

/** How many orders the sweep found stuck in PENDING, 0 included, so the alarm on it always has data. */
export const countStuckOrders = (count: number): void => countMetric('OrdersStuckPending', {}, count);
