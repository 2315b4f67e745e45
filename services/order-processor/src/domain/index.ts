export * from './order';
export { AnswerMismatchError, IDEMPOTENCY_TTL_SECONDS, OrdersService, UnknownOrderError, type IdempotencyRecord, type OrderStore } from './orders-service';
