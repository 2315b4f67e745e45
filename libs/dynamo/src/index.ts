export { getDocumentClient, resetDocumentClient } from './client';
export { CORRELATION_ID, correlationAssignment, correlationIdOf, correlationStamp } from './correlation';
export { createCursorCodec, MAX_CURSOR_LENGTH, type CursorCodec, type CursorKey, type CursorKeys, type LastEvaluatedKey } from './cursor';
export { cursorCodecFromEnv } from './cursor-keys';
export { mapDynamoError, mappingErrors, TransactionCancelledError } from './errors';
export { compositeKey, entityKey, GSI1, KEY, withoutKeys, type TableKey } from './keys';
export { Table, type Page, type PageRequest, type QueryRequest, type TransactItems, type VersionedUpdate } from './table';
export type { TableChange } from './table-change';
