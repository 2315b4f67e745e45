import { entityKey } from '@platform/dynamo';

// The rows of the orders table. Only order-processor reads or writes it.
export const ORDER = 'ORDER';
export const IDEMPOTENCY = 'IDEMPOTENCY';

export const orderKey = (id: string) => entityKey(ORDER, id);
export const idempotencyKey = (key: string) => entityKey(IDEMPOTENCY, key);
