import { timeLeftMs } from './deadline';
import { captureAWSv3Client } from './tracing';

/**
 * How long one AWS call may take, whatever the service. The SDK's defaults
 * wait forever for an answer (no request timeout), so a store that accepts
 * the connection and never answers holds the invocation until Lambda kills
 * it: the client sees a bare 500 after the whole function timeout, a batch
 * fails whole. These bound each attempt well inside a 6 s timeout, and the
 * invocation's deadline (withInvocationDeadline) bounds the retries.
 *  - connectTimeoutMs: the TCP (and TLS) handshake; a healthy endpoint takes a few ms.
 *  - attemptTimeoutMs: the longest the socket may sit without an answer. DynamoDB
 *    answers in tens of ms; the local emulators on two cores, under a burst and
 *    beside a busy test run, took over 2 s, and a retry then only added load: 3 s
 *    tells a hung store from a busy one and still leaves the deadline room for a
 *    second attempt.
 *  - maxAttempts: the SDK's standard retries (backoff with jitter), first attempt included.
 */
export const AWS_CALL_LIMITS = { connectTimeoutMs: 1_000, attemptTimeoutMs: 3_000, maxAttempts: 3 } as const;

/** An attempt is not started with less than this left before the deadline: it could not get an answer in time. */
export const MIN_ATTEMPT_MS = 100;

/** An AWS call given up because the invocation's deadline came first. Not retried by the SDK (it is not a transient error name). */
export class DeadlineExceededError extends Error {
  constructor(message = 'The AWS call was given up: the invocation is about to time out') {
    super(message);
    this.name = 'DeadlineExceededError';
  }
}

export type AwsCallLimits = { [K in keyof typeof AWS_CALL_LIMITS]: number };

/** The constructor options every AWS SDK client of a function gets (`new DynamoDBClient(awsClientConfig())`). */
export const awsClientConfig = ({ connectTimeoutMs, attemptTimeoutMs, maxAttempts }: AwsCallLimits = AWS_CALL_LIMITS) => ({
  maxAttempts,
  // Without throwOnRequestTimeout, @smithy/node-http-handler 4 only logs a warning when requestTimeout passes, and goes on waiting.
  requestHandler: { connectionTimeout: connectTimeoutMs, requestTimeout: attemptTimeoutMs, throwOnRequestTimeout: true },
});

type Next = (args: unknown) => Promise<unknown>;
type Middleware = (next: Next) => Next;
/**
 * What awsClient needs of a client: its middleware stack. Typed loosely on purpose: each SDK
 * client's stack is generic over its own input and output types, which a middleware that only
 * times calls never looks at.
 */
interface WithMiddlewareStack {
  middlewareStack: {
    add(middleware: any, options: any): void;
    addRelativeTo(middleware: any, options: any): void;
  };
}

const beforeDeadline = async <T>(work: Promise<T>): Promise<T> => {
  const left = timeLeftMs();
  if (left === Infinity) return work;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceededError()), Math.max(0, left));
  });
  // The abandoned call ends on its own (its attempt timeout, or the next attempt's check below).
  work.catch(() => undefined);
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
};

/**
 * An AWS SDK v3 client (made with awsClientConfig) that keeps to the
 * invocation's deadline, traced in AWS (captureAWSv3Client):
 *  - the whole call, retries and their backoff included, is given up at the
 *    deadline with a DeadlineExceededError;
 *  - no attempt, first or retry, starts with less than MIN_ATTEMPT_MS left, so
 *    a call given up does not go on retrying in the background.
 * Outside an invocation (a script, a test without a deadline) it behaves as the plain client.
 */
export const awsClient = <T extends WithMiddlewareStack>(client: T): T => {
  const wholeCall: Middleware = (next) => (args) => beforeDeadline(next(args));
  const eachAttempt: Middleware = (next) => async (args) => {
    if (timeLeftMs() < MIN_ATTEMPT_MS) throw new DeadlineExceededError();
    return next(args);
  };
  client.middlewareStack.add(wholeCall, { step: 'initialize', name: 'invocationDeadline', override: true });
  client.middlewareStack.addRelativeTo(eachAttempt, { relation: 'after', toMiddleware: 'retryMiddleware', name: 'invocationDeadlinePerAttempt', override: true });
  return captureAWSv3Client(client);
};
