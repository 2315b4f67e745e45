export { getDocumentClient, resetDocumentClient } from './client';
export { CORRELATION_ID, correlationAssignment, correlationIdOf, correlationStamp } from './correlation';
export { createCursorCodec, cursorCodecFromEnv, type CursorCodec, type LastEvaluatedKey } from './cursor';
export { mapDynamoError, mappingErrors, TransactionCancelledError } from './errors';
export { compositeKey, entityKey, GSI1, KEY, withoutKeys, type TableKey } from './keys';
export { Table, type Page, type PageRequest, type TransactItems, type VersionedUpdate } from './table';
export type { TableChange } from './table-change';
