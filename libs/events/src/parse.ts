import { EventSchemas, type EventOf, type EventType } from './contracts';

/** A message that is not one of the events a consumer accepts. It must fail (and reach the DLQ), never vanish. */
export class InvalidEventError extends Error {
  constructor(message: string, readonly issues: string[] = []) {
    super(issues.length > 0 ? `${message}: ${issues.join('; ')}` : message);
    this.name = 'InvalidEventError';
  }
}

/**
 * Parses a message body (subscriptions use raw message delivery, so the SQS
 * body is the envelope itself) into one of the accepted event types.
 */
export const parseEvent = <T extends EventType>(body: string, accepted: readonly T[]): EventOf<T> => {
  let candidate: unknown;
  try {
    candidate = JSON.parse(body);
  } catch {
    throw new InvalidEventError('The message body is not JSON');
  }
  const type = (candidate as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !(accepted as readonly string[]).includes(type)) {
    throw new InvalidEventError(`Unexpected event type ${JSON.stringify(type)}; accepted: ${accepted.join(', ')}`);
  }
  const result = EventSchemas[type as T].safeParse(candidate);
  if (!result.success) {
    throw new InvalidEventError(
      `Invalid ${type} event`,
      result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
    );
  }
  return result.data as EventOf<T>;
};
