import { randomUUID } from 'node:crypto';
import type { DataOf, EventOf, EventType } from './contracts';

export interface BuildOptions {
  /** A stable id for the fact (e.g. derived from the order id) makes republishing it idempotent. */
  id?: string;
  occurredAt?: string;
}

export const buildEvent = <T extends EventType>(
  type: T,
  source: string,
  data: DataOf<T>,
  { id = randomUUID(), occurredAt = new Date().toISOString() }: BuildOptions = {},
): EventOf<T> => ({ id, type, version: 1, occurredAt, source, data }) as EventOf<T>;
