export * from './order';
export {
  AnswerMismatchError,
  IDEMPOTENCY_TTL_SECONDS,
  OrdersService,
  UnknownOrderError,
  type IdempotencyRecord,
  type OrdersProbe,
  type OrdersServiceOptions,
  type OrderStore,
} from './orders-service';
