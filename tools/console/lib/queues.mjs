// The Queues view: every queue and DLQ of the local stack, a DLQ's messages,
// and Redrive and Purge, through the same library as `npm run dlq`
// (tools/dlq/lib), so the buttons do exactly what the runbook's commands do.
//
// The age of a queue's oldest message comes from the emulator's own,
// side-effect-free inspection (fauxqs runs in the stack's process): reading
// it through SQS would mean receiving, which counts as a receive and, on a
// queue with a redrive policy, moves messages closer to their DLQ.
import { discoverQueues, findDeadLetterQueue, localTarget, peekMessages, purge, redrive } from '@platform/dlq/lib/index';

/**
 * @param {{ snsSqsEndpoint: string, services: string[],
 *   inspectQueue?: (name: string) => { messages: { ready: any[], delayed: any[], inflight: any[] } } | undefined }} options
 */
export const createQueues = ({ snsSqsEndpoint, services, inspectQueue }) => {
  // The same target `npm run dlq` makes for the local stack, on this stack's emulator port.
  const target = localTarget({ env: { SNS_SQS_PORT: new URL(snsSqsEndpoint).port }, services });

  /** Seconds since the oldest message of a queue was sent, whether visible, in flight or delayed. @param {string} name */
  const oldestAgeSeconds = (name) => {
    const state = inspectQueue?.(name);
    if (!state) return undefined;
    const sent = [...state.messages.ready, ...state.messages.delayed, ...state.messages.inflight.map((entry) => entry.message)]
      .map((message) => Number(message?.sentTimestamp))
      .filter((value) => Number.isFinite(value));
    return sent.length === 0 ? undefined : Math.max(0, Math.round((Date.now() - Math.min(...sent)) / 1000));
  };

  return {
    target,
    /** Every queue: depth, in flight, oldest message's age; a DLQ with its kind and source queue(s). */
    list: async () => {
      const { queues, deadLetterQueues } = await discoverQueues(target);
      const dlqs = new Map(deadLetterQueues.map((dlq) => [dlq.name, dlq]));
      const feeds = new Map(deadLetterQueues.flatMap((dlq) => dlq.sources.map((source) => [source.name, dlq.name])));
      return queues.map((queue) => {
        const dlq = dlqs.get(queue.name);
        return {
          name: queue.name,
          shortName: queue.shortName,
          service: queue.service,
          depth: Number(queue.attributes.ApproximateNumberOfMessages ?? 0),
          inFlight: Number(queue.attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
          delayed: Number(queue.attributes.ApproximateNumberOfMessagesDelayed ?? 0),
          oldestAgeSeconds: oldestAgeSeconds(queue.name),
          dlq: dlq ? { kind: dlq.kind, sources: dlq.sources.map((source) => source.name) } : undefined,
          deadLetterQueue: feeds.get(queue.name),
        };
      });
    },
    /** A DLQ's messages (up to `max`), as `npm run dlq -- peek` shows them. @param {string} name */
    peek: async (name, max = 10) => peekMessages(target, await findDeadLetterQueue(target, name), { max }),
    /** `npm run dlq -- redrive <name>`. @param {string} name */
    redrive: async (name) => {
      /** @type {string[]} */
      const progress = [];
      const result = await redrive(target, await findDeadLetterQueue(target, name), { onProgress: (p) => progress.push(p.text) });
      return { ...result, progress };
    },
    /** `npm run dlq -- purge <name> --yes`: the page asks first. @param {string} name */
    purge: async (name) => purge(target, await findDeadLetterQueue(target, name), { yes: true }),
    close: () => target.sqs.destroy(),
  };
};
