import { entityKey } from '@platform/dynamo';

// Entities of the items table. order-processor writes ITEM and ORDER rows too,
// through its own copy of these two lines: services share libs, never code.
export const ITEM = 'ITEM';
export const ORDER = 'ORDER';
export const IDEMPOTENCY = 'IDEMPOTENCY';

export const itemKey = (id: string) => entityKey(ITEM, id);
export const orderKey = (id: string) => entityKey(ORDER, id);
export const idempotencyKey = (key: string) => entityKey(IDEMPOTENCY, key);
