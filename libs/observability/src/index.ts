// Powertools Metrics and Tracer, wired once for every function; the flow's
// correlation id and the invocation's deadline, both async-local; and the AWS
// SDK clients that keep to that deadline. handler-kit sets them around each
// invocation; services call countMetric where a business fact happens, and the
// libs make their SDK clients with awsClient.
export { AWS_CALL_LIMITS, awsClient, type AwsCallLimits, awsClientConfig, DeadlineExceededError, MIN_ATTEMPT_MS } from './aws-client';
export { currentCorrelationId, withCorrelationId } from './correlation';
export { INVOCATION_RESERVE_MS, timeLeftMs, withInvocationDeadline } from './deadline';
export { captureColdStart, countMetric, getMetrics, publishMetrics, type MetricDimensions, type MetricName } from './metrics';
export { captureAWSv3Client, getTracer } from './tracing';
