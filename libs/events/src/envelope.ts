import * as z from 'zod';

/**
 * Every event travels in one envelope. `type` is also sent as the SNS
 * message attribute `type`, which is what subscription filter policies route on.
 * `id` is stable for a given fact, so a consumer can deduplicate redeliveries on it.
 * `correlationId`, when present, is the request id of the HTTP call that started
 * the flow the event belongs to (also sent as the SNS message attribute
 * `correlationId`): consumers log it and carry it on to what they cause.
 */
export const envelopeSchema = <T extends string, D extends z.ZodType>(type: T, data: D) =>
  z.object({
    id: z.string().min(1).max(128),
    type: z.literal(type),
    version: z.literal(1),
    occurredAt: z.iso.datetime(),
    source: z.string().min(1).max(64),
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
