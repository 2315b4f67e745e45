// The bench's own view of the event bus: a queue subscribed to the bus topic
// the way the services subscribe (raw delivery, a filter on the `type`
// message attribute). Besides the decisions it takes the intermediate events
// of the saga, so a slow decision can be split into the stage that held it.
import { randomUUID } from 'node:crypto';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { localClientConfig } from '@platform/local-runtime/aws';
import { sleep } from './stats.mjs';

export const BUS_TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:event-bus-local-domain-events';
export const DECISIONS = ['order.confirmed', 'order.rejected'];
const STAGES = ['order.placed', 'stock.reserved', 'stock.rejected'];
const RECEIVERS = 2;

/**
 * @typedef {{ busAt: number, occurredAt: number, reason?: string }} Seen
 * @typedef {Record<string, Seen>} OrderEvents by event type
 */

/** @param {string} endpoint */
const clients = (endpoint) => {
  const config = localClientConfig(endpoint);
  return { sns: new SNSClient(config), sqs: new SQSClient(config) };
};

/**
 * Subscribes a fresh queue to the bus and starts draining it in the background.
 * @param {{ endpoint: string }} options
 */
export const startCapture = async ({ endpoint }) => {
  const { sns, sqs } = clients(endpoint);
  const name = `bench-capture-${randomUUID().slice(0, 8)}`;
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const queueUrl = /** @type {string} */ (QueueUrl);
  const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  await sns.send(
    new SubscribeCommand({
      TopicArn: BUS_TOPIC_ARN,
      Protocol: 'sqs',
      Endpoint: Attributes.QueueArn ?? `arn:aws:sqs:us-east-1:000000000000:${name}`,
      Attributes: {
        RawMessageDelivery: 'true',
        FilterPolicyScope: 'MessageAttributes',
        FilterPolicy: JSON.stringify({ type: [...STAGES, ...DECISIONS] }),
      },
    }),
  );

  /** @type {Map<string, OrderEvents>} */
  const byOrder = new Map();
  let decisions = 0;
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
    const orderId = event?.data?.orderId;
    if (typeof orderId !== 'string' || typeof event.type !== 'string') return;
    const events = byOrder.get(orderId) ?? {};
    if (events[event.type]) return; // a redelivery: the first arrival is the one that counts
    // SentTimestamp is when SNS put it on the queue, so the bench's own polling delay is not counted.
    const busAt = Number(message.Attributes?.SentTimestamp ?? Date.now());
    events[event.type] = { busAt, occurredAt: Date.parse(event.occurredAt), ...(event.data.reason && { reason: event.data.reason }) };
    byOrder.set(orderId, events);
    if (DECISIONS.includes(event.type)) decisions += 1;
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
    /** @param {string} orderId */
    eventsOf: (orderId) => byOrder.get(orderId),
    /** @param {string} orderId */
    decisionOf: (orderId) => {
      const events = byOrder.get(orderId);
      const type = events && DECISIONS.find((t) => events[t]);
      return type && events ? { type, ...events[type] } : undefined;
    },
    decisionCount: () => decisions,
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
 * `stallMs` (a record that failed waits out its queue's 36 s visibility
 * timeout, so a stall shorter than that would call a slow order lost) or
 * `capMs` has passed.
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
