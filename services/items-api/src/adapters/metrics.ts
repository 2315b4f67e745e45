import { countMetric } from '@platform/observability';
import type { StockProbe } from '../domain';

/** The catalogue's answers as business metrics (docs/operating.md): stock reserved, and rejected by reason. */
export const stockMetrics: StockProbe = {
  answered: (answer) =>
    answer.status === 'RESERVED' ? countMetric('StockReserved') : countMetric('StockRejected', { reason: answer.reason }),
};
