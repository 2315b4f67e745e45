import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * The platform's business and health metrics, by the names the stage's
 * dashboard reads (infra/serverless/lib/dashboard.cjs). Each is a count in the
 * namespace POWERTOOLS_METRICS_NAMESPACE (`Platform/<stage>`) with the
 * dimension `service` (POWERTOOLS_SERVICE_NAME); the rejections add `reason`.
 * Powertools adds `ColdStart` (dimensions `service` and `function_name`).
 */
export type MetricName =
  | 'OrdersPlaced'
  | 'OrdersConfirmed'
  | 'OrdersRejected'
  // Orders PENDING longer than the threshold, as order-processor's sweep finds them (0 included).
  | 'OrdersStuckPending'
  | 'StockReserved'
  | 'StockRejected'
  | 'NotificationsSent'
  | 'EventsPublished'
  | 'RecordsFailed'
  // SQS records not started because the invocation was running out of time (handler-kit sqsEventHandler).
  | 'RecordsDeferred'
  // Item images: uploads granted, uploads checked and recorded on their item, and refused by reason.
  | 'ImageUploadsGranted'
  | 'ImagesAccepted'
  | 'ImagesRejected';

/**
 * Extra dimensions of one count. Low cardinality only (a reason, never an
 * order or item id): every distinct set of values is a metric of its own in
 * CloudWatch, billed and graphed as such.
 */
export type MetricDimensions = Readonly<Record<string, string>>;

let metrics: Metrics | undefined;

/** The container's Powertools Metrics, made on first use (it reads its settings from the environment then). */
export const getMetrics = (): Metrics => (metrics ??= new Metrics());

interface Count {
  name: MetricName;
  dimensions: MetricDimensions;
  value: number;
}

// What was counted since the last flush, by metric and dimensions.
const pending = new Map<string, Count>();

/**
 * Counts `value` occurrences of `name` in this invocation. Nothing is written
 * until handler-kit flushes at the end of the invocation (publishMetrics), so
 * a batch of ten orders is one line with `OrdersConfirmed: 10`, not ten.
 */
export const countMetric = (name: MetricName, dimensions: MetricDimensions = {}, value = 1): void => {
  const key = JSON.stringify([name, Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b))]);
  const count = pending.get(key);
  if (count) count.value += value;
  else pending.set(key, { name, dimensions, value });
};

/**
 * Writes what was counted as CloudWatch embedded-metric-format lines on
 * stdout, where the Lambda log stream carries them to CloudWatch: one line per
 * set of dimensions (EMF gives all metrics of a line the same dimensions), and
 * none when nothing was counted.
 */
export const publishMetrics = (): void => {
  if (pending.size === 0) return;
  const bySet = new Map<string, Count[]>();
  for (const count of pending.values()) {
    const set = JSON.stringify(Object.entries(count.dimensions).sort(([a], [b]) => a.localeCompare(b)));
    bySet.set(set, [...(bySet.get(set) ?? []), count]);
  }
  pending.clear();
  const emf = getMetrics();
  for (const counts of bySet.values()) {
    emf.addDimensions({ ...counts[0]?.dimensions });
    for (const { name, value } of counts) emf.addMetric(name, MetricUnit.Count, value);
    emf.publishStoredMetrics();
  }
};

/**
 * Counts this container's first invocation as a `ColdStart` (Powertools writes
 * it at once); later calls do nothing. Only where Lambda says the container
 * was started on demand (AWS_LAMBDA_INITIALIZATION_TYPE), so never locally.
 */
export const captureColdStart = (functionName?: string): void => getMetrics().captureColdStartMetric(functionName);
