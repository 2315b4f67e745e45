import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Time an invocation keeps for itself after its last AWS call gives up: to
 * map the failure, answer the client or report the batch, and write its
 * metrics, before Lambda's timeout cuts it off and the caller sees a bare
 * 500 (or a whole batch retried) instead.
 */
export const INVOCATION_RESERVE_MS = 1_000;

/** The invocation's deadline, epoch ms. Async-local like the correlation id: an SDK call deep in an adapter reads it without being handed it. */
const current = new AsyncLocalStorage<number>();

/** What every invocation context has; `getRemainingTimeInMillis` is absent on a test's hand-made one. */
interface InvocationClock {
  getRemainingTimeInMillis?: () => number;
}

/**
 * Runs `fn` with a deadline `INVOCATION_RESERVE_MS` before the invocation's
 * timeout: the AWS clients made with `awsClient` give up by then. A context
 * that cannot tell its remaining time sets no deadline.
 */
export const withInvocationDeadline = <T>(context: InvocationClock, fn: () => T): T => {
  const remaining = context.getRemainingTimeInMillis?.();
  return typeof remaining === 'number' && Number.isFinite(remaining)
    ? current.run(Date.now() + remaining - INVOCATION_RESERVE_MS, fn)
    : fn();
};

/** Milliseconds left before the invocation's deadline (negative past it); Infinity outside an invocation. */
export const timeLeftMs = (): number => {
  const deadline = current.getStore();
  return deadline === undefined ? Infinity : deadline - Date.now();
};
