import * as z from 'zod';

/**
 * Every event travels in one envelope. `type` is also sent as the SNS
 * message attribute `type`, which is what subscription filter policies route on.
 * `id` is stable for a given fact, so a consumer can deduplicate redeliveries on it.
 */
export const envelopeSchema = <T extends string, D extends z.ZodType>(type: T, data: D) =>
  z.object({
    id: z.string().min(1).max(128),
    type: z.literal(type),
    version: z.literal(1),
    occurredAt: z.iso.datetime(),
    source: z.string().min(1).max(64),
    data,
  });

export interface Envelope<T extends string = string, D = unknown> {
  id: string;
  type: T;
  version: 1;
  occurredAt: string;
  source: string;
  data: D;
}
