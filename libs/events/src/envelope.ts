import * as z from 'zod';

/**
 * Every event travels in one envelope. `type` is also sent as the SNS
 * message attribute `type`, which is what subscription filter policies route on.
 * `id` is stable for a given fact, so a consumer can deduplicate redeliveries on it.
 * `source` is the producing service; each type has exactly one (EVENT_PRODUCERS).
 * `correlationId`, when present, is the request id of the HTTP call that started
 * the flow the event belongs to (also sent as the SNS message attribute
 * `correlationId`): consumers log it and carry it on to what they cause.
 */
export const envelopeSchema = <T extends string, P extends string, D extends z.ZodType>(type: T, producer: P, data: D) =>
  z.object({
    id: z.string().min(1).max(128),
    type: z.literal(type),
    version: z.literal(1),
    occurredAt: z.iso.datetime(),
    // The service whose contract it is to produce this type: an envelope naming
    // another is refused on receipt (and never published), whoever sent it.
    source: z.literal(producer),
    correlationId: z.string().min(1).max(128).optional(),
    data,
  });

export interface Envelope<T extends string = string, D = unknown> {
  id: string;
  type: T;
  version: 1;
  occurredAt: string;
  source: string;
  correlationId?: string;
  data: D;
}
