// Test support only: never import this from a handler or domain module.
export { createServiceTable, createTestTable, serviceTableForFile, type FileTable, type TestTable } from './dynamo-tables';
export { createCapturedTopic, type CapturedTopic } from './sns-capture';
export { httpEvent } from './http-event';
export { startHungEndpoint, type HungEndpoint } from './hung-endpoint';
export { sqsEvent } from './sqs-event';
export { contractSample } from './contract-samples';
export { captureOutput, metricsOf, type CapturedOutput, type EmittedMetric } from './powertools-output';
export { readTableStream } from './table-stream';
export { scanTable } from './scan-table.cjs';
export { createResponseChecker, type ObservedResponse } from './openapi-responses.cjs';
