import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The correlation id of the flow being handled: the request id of the HTTP
 * call that started it. handler-kit sets it for each HTTP invocation and for
 * each consumed event (from its envelope); the stores stamp it on the rows
 * they write, and the outbox relays carry it on to the events those rows
 * become. It is ambient rather than a parameter because it crosses every
 * layer without meaning anything to any of them, like a trace context: the
 * domain never sees it. Async-local, not a module variable, because the
 * records of one SQS batch are handled concurrently, each in its own flow.
 */
const current = new AsyncLocalStorage<string>();

/** The correlation id of the flow this code runs in, if any. */
export const currentCorrelationId = (): string | undefined => current.getStore();

/** Runs `fn` as part of the flow `correlationId` (or of none: then it runs as it is). */
export const withCorrelationId = <T>(correlationId: string | undefined, fn: () => T): T =>
  correlationId ? current.run(correlationId, fn) : fn();
