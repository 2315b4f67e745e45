export { eventForChange, EVENT_SOURCE, type TableChange } from './change-events';
export * from './item';
export { ItemsService, MAX_PAGE_SIZE } from './items-service';
export { idempotencyKey, itemKey, orderKey } from './keys';
export * from './order';
export { IDEMPOTENCY_TTL_SECONDS, OrdersService } from './orders-service';
