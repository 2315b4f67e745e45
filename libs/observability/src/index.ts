// Powertools Metrics and Tracer, wired once for every function, and the flow's
// correlation id. handler-kit calls them around each invocation; services call
// countMetric where a business fact happens, and the libs capture their SDK clients.
export { currentCorrelationId, withCorrelationId } from './correlation';
export { captureColdStart, countMetric, getMetrics, publishMetrics, type MetricDimensions, type MetricName } from './metrics';
export { captureAWSv3Client, getTracer } from './tracing';
