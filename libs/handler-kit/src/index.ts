export { callerOf, customerOf, type Caller, type Customer } from './auth';
export { corsHeaders } from './cors';
export { toHttpError, type ErrorBody, type HttpError } from './errors-to-http';
export {
  DEFAULT_MAX_BODY_BYTES,
  RETRY_AFTER_SECONDS,
  httpHandler,
  type HttpHandler,
  type HttpRequest,
  type HttpResponse,
  type RouteSchemas,
} from './http';
export { instrumented } from './instrument';
export { getLogger, loggerForInvocation } from './logger';
export { parseOrThrow } from './validation';
export { MIN_REMAINING_TIME_MS, sqsEventHandler, sqsMessageHandler, type EventContext, type SqsEventHandlerOptions, type SqsHandler } from './sqs';
export { streamOutboxHandler, type StreamHandler } from './outbox';
