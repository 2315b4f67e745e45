import { randomUUID } from 'node:crypto';
import type { DataOf, EventOf, EventType, ProducerOf } from './contracts';

export interface BuildOptions {
  /** A stable id for the fact (e.g. derived from the order id) makes republishing it idempotent. */
  id?: string;
  occurredAt?: string;
  /** The flow the event belongs to (see the envelope); left out when undefined. */
  correlationId?: string;
}

export const buildEvent = <T extends EventType>(
  type: T,
  source: ProducerOf<T>,
  data: DataOf<T>,
  { id = randomUUID(), occurredAt = new Date().toISOString(), correlationId }: BuildOptions = {},
): EventOf<T> => ({ id, type, version: 1, occurredAt, source, ...(correlationId && { correlationId }), data }) as EventOf<T>;
