// The bench's own view of the event bus: a queue subscribed to the bus topic
// the way the services subscribe (raw delivery, a filter on the `type`
// message attribute). It keeps the first arrival of each event type per
// entity (the key the scenario reads from an event, e.g. its data's id), and
// calls some types decisions: the ones that end a flow. Besides the decisions
// a scenario asks for the intermediate events, so a slow decision can be
// split into the stage that held it.
import { randomUUID } from 'node:crypto';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { localClientConfig } from '@platform/local-runtime/aws';
import { sleep } from './stats.mjs';

/** The platform's event bus (services/event-bus) on the local stage. */
export const BUS_TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:event-bus-local-domain-events';
const RECEIVERS = 2;

/**
 * @typedef {{ busAt: number, occurredAt: number, reason?: string }} Seen  reason: the event data's, when it has one
 * @typedef {Record<string, Seen>} KeyEvents  one entity's events, by event type
 * @typedef {Awaited<ReturnType<typeof startCapture>>} Capture
 */

/** @param {string} endpoint */
const clients = (endpoint) => {
  const config = localClientConfig(endpoint);
  return { sns: new SNSClient(config), sqs: new SQSClient(config) };
};

/**
 * Subscribes a fresh queue to the bus and starts draining it in the background.
 * @param {{ endpoint: string, decisions: string[], stages?: string[], keyOf: (event: any) => unknown, topicArn?: string }} options
 *   decisions: the event types that end an entity's flow; stages: the types seen on the way; keyOf: the entity an event is about
 */
export const startCapture = async ({ endpoint, decisions, stages = [], keyOf, topicArn = BUS_TOPIC_ARN }) => {
  const { sns, sqs } = clients(endpoint);
  const name = `bench-capture-${randomUUID().slice(0, 8)}`;
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const queueUrl = /** @type {string} */ (QueueUrl);
  const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  await sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: Attributes.QueueArn ?? `arn:aws:sqs:us-east-1:000000000000:${name}`,
      Attributes: {
        RawMessageDelivery: 'true',
        FilterPolicyScope: 'MessageAttributes',
        FilterPolicy: JSON.stringify({ type: [...stages, ...decisions] }),
      },
    }),
  );

  /** @type {Map<string, KeyEvents>} */
  const byKey = new Map();
  let decided = 0;
  let unreadable = 0;
  let stopped = false;

  /** @param {import('@aws-sdk/client-sqs').Message} message */
  const record = (message) => {
    let event;
    try {
      event = JSON.parse(message.Body ?? '');
    } catch {
      unreadable += 1;
      return;
    }
    const key = event && typeof event === 'object' ? keyOf(event) : undefined;
    if (typeof key !== 'string' || typeof event.type !== 'string') return;
    const events = byKey.get(key) ?? {};
    if (events[event.type]) return; // a redelivery: the first arrival is the one that counts
    // SentTimestamp is when SNS put it on the queue, so the bench's own polling delay is not counted.
    const busAt = Number(message.Attributes?.SentTimestamp ?? Date.now());
    events[event.type] = { busAt, occurredAt: Date.parse(event.occurredAt), ...(event.data?.reason && { reason: event.data.reason }) };
    byKey.set(key, events);
    if (decisions.includes(event.type)) decided += 1;
  };

  const receiver = async () => {
    while (!stopped) {
      try {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['SentTimestamp'] }),
        );
        Messages.forEach(record);
        if (Messages.length > 0) {
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: /** @type {string} */ (m.ReceiptHandle) })),
            }),
          );
        }
      } catch {
        // The stack is being stopped, or fauxqs hiccupped: try again shortly.
        if (!stopped) await sleep(200);
      }
    }
  };
  const running = Promise.all(Array.from({ length: RECEIVERS }, receiver));

  return {
    /** @param {string} key @returns {KeyEvents | undefined} */
    eventsOf: (key) => byKey.get(key),
    /** The decision seen for an entity, if any. @param {string} key @returns {(Seen & { type: string }) | undefined} */
    decisionOf: (key) => {
      const events = byKey.get(key);
      const type = events && decisions.find((t) => events[t]);
      const seen = type ? events?.[type] : undefined;
      return type && seen ? { type, ...seen } : undefined;
    },
    decisionCount: () => decided,
    unreadable: () => unreadable,
    stop: async () => {
      stopped = true;
      await running;
      sns.destroy();
      sqs.destroy();
    },
  };
};

/**
 * Waits while `progress()` grows, until `done()` or it has not grown for
 * `stallMs` (a record that failed waits out its queue's visibility timeout,
 * so a stall shorter than that would call a slow flow lost) or `capMs` has passed.
 * @param {{ progress: () => number | Promise<number>, done: (count: number) => boolean, stallMs: number, capMs: number,
 *   onTick?: (count: number) => void, intervalMs?: number }} options
 */
export const waitWhileProgressing = async ({ progress, done, stallMs, capMs, onTick, intervalMs = 250 }) => {
  const started = Date.now();
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const count = await progress();
    onTick?.(count);
    if (done(count)) return { count, reason: 'done' };
    if (count !== last) {
      last = count;
      lastChange = Date.now();
    }
    if (Date.now() - lastChange > stallMs) return { count, reason: `no progress for ${stallMs / 1000} s` };
    if (Date.now() - started > capMs) return { count, reason: `deadline of ${capMs / 1000} s passed` };
    await sleep(intervalMs);
  }
};
