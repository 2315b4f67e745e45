export * from './order';
export {
  AnswerMismatchError,
  DEFAULT_STUCK_AFTER_MINUTES,
  IDEMPOTENCY_TTL_SECONDS,
  OrdersService,
  UnknownOrderError,
  type IdempotencyRecord,
  type OrdersProbe,
  type OrdersServiceOptions,
  type OrderStore,
  type PendingOrder,
  type StuckOrder,
} from './orders-service';
