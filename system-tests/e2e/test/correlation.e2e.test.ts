import { SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteQueueCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { api, callers, sns, sqs, stackOutput, waitFor } from '../support/local';

// One order, followed through the local stack's output by the request id of
// the POST that placed it: the correlation id every hop carries on (README
// "Operating it": following one order).
const BUS_ARN = 'arn:aws:sns:us-east-1:000000000000:event-bus-local-domain-events';
const BUS_CAPTURE_QUEUE = `e2e-correlation-${Date.now()}`;
/** The events of an order that goes through: in the order the saga publishes them. */
const SAGA_EVENTS = ['order.placed', 'stock.reserved', 'order.confirmed'];
const queues = sqs();
let busCaptureUrl: string;

beforeAll(async () => {
  // Everything published on the bus from now on also lands here, with its message attributes.
  busCaptureUrl = (await queues.send(new CreateQueueCommand({ QueueName: BUS_CAPTURE_QUEUE }))).QueueUrl as string;
  await sns().send(
    new SubscribeCommand({
      TopicArn: BUS_ARN,
      Protocol: 'sqs',
      Endpoint: `arn:aws:sqs:us-east-1:000000000000:${BUS_CAPTURE_QUEUE}`,
      Attributes: { RawMessageDelivery: 'true' },
    }),
  );
});

afterAll(() => queues.send(new DeleteQueueCommand({ QueueUrl: busCaptureUrl })));

/** The stack's output lines that contain `id`, in the order it printed them, each split into its prefix and its JSON, if any. */
const linesWith = (id: string) =>
  stackOutput()
    .split('\n')
    .filter((line) => line.includes(id))
    .map((line) => {
      const [, source = '', rest = ''] = /^\[([^\]]+)\] (.*)$/.exec(line) ?? [];
      let json: Record<string, any> | undefined;
      try {
        json = rest.startsWith('{') ? JSON.parse(rest) : undefined;
      } catch {
        json = undefined;
      }
      return { line, source, json };
    });

type Line = ReturnType<typeof linesWith>[number];

/** A hop of the saga: which process printed it and what the line says. */
const hops: Array<[string, (line: Line) => boolean]> = [
  ['gateway: POST /orders → order-processor 202', ({ source, line }) => source === 'gateway' && /POST \/orders → order-processor 202/.test(line)],
  ['placeOrder: request handled', ({ json }) => json?.function_name?.endsWith('-placeOrder') && json.message === 'request handled'],
  ['publishOrderEvents: order.placed published', ({ json }) => json?.function_name?.endsWith('-publishOrderEvents') && json.eventType === 'order.placed'],
  ['reserveStock: stock request answered', ({ json }) => json?.function_name?.endsWith('-reserveStock') && json.message === 'stock request answered'],
  ['publishDomainEvents: stock.reserved published', ({ json }) => json?.function_name?.endsWith('-publishDomainEvents') && json.eventType === 'stock.reserved'],
  ['settleOrders: order settled', ({ json }) => json?.function_name?.endsWith('-settleOrders') && json.message === 'order settled'],
  ['publishOrderEvents: order.confirmed published', ({ json }) => json?.function_name?.endsWith('-publishOrderEvents') && json.eventType === 'order.confirmed'],
  ['notifyCustomers: notification sent', ({ json }) => json?.function_name?.endsWith('-notifyCustomers') && json.message === 'notification sent'],
];

const busMessages: Message[] = [];
const publishedOnBus = async () => {
  for (;;) {
    const { Messages = [] } = await queues.send(
      new ReceiveMessageCommand({ QueueUrl: busCaptureUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageAttributeNames: ['All'] }),
    );
    if (Messages.length === 0) return busMessages;
    busMessages.push(...Messages);
  }
};

describe('one correlation id from the first request through every hop', () => {
  it('shows the whole life of an order, in order, in one grep of the local stack’s output for the request id', async () => {
    const created = await api('POST', '/items', { name: 'lamp', priceCents: 2500, stock: 1 }, callers.staff());
    expect(created.status).toBe(201);
    const placed = await api('POST', '/orders', { itemId: created.json.id, quantity: 1 }, callers.ada());
    expect(placed.status).toBe(202);
    const orderId = placed.json.orderId as string;
    // The gateway hands the client the request id, as API Gateway does.
    const requestId = placed.headers.get('apigw-requestid') as string;
    expect(requestId).toBeTruthy();

    // `npm start | grep <requestId>`, once the customer has been told.
    const grepped = await waitFor(async () => {
      const lines = linesWith(requestId);
      return lines.some(hops[hops.length - 1]?.[1] ?? (() => false)) ? lines : undefined;
    }, `the notification of order ${orderId} in the output, under request id ${requestId}`);

    const positions = hops.map(([name, matches]) => ({ name, at: grepped.findIndex(matches) }));
    expect(positions.filter(({ at }) => at < 0).map(({ name }) => name)).toEqual([]);
    // The gateway logs a request once its answer is complete, so its line and the
    // handler's own come in either order, both before the saga. A relay logs
    // "published" once SNS has answered, by which time the consumer it fed may
    // already have logged its own line (each service's output reaches the stack's
    // through its own pipe): so the order checked is that of the decisions, each
    // of which a whole hop (bus, queue, poll, invoke) separates from the one before.
    const [gateway, handler, ...saga] = positions;
    const sagaStart = Math.min(...saga.map(({ at }) => at));
    expect([gateway, handler].filter((hop) => (hop?.at ?? Infinity) > sagaStart)).toEqual([]);
    const decisions = saga.filter(({ name }) => !name.endsWith(' published'));
    expect(decisions.map(({ name }) => name)).toEqual(['reserveStock: stock request answered', 'settleOrders: order settled', 'notifyCustomers: notification sent']);
    expect(decisions.map(({ name }) => name)).toEqual([...decisions].sort((a, b) => a.at - b.at).map(({ name }) => name));
    // The local runtime's own lines for the order's batches carry it too.
    expect(grepped.filter(({ source }) => source === 'event-source').map(({ line }) => /local-(\w+):/.exec(line)?.[1])).toEqual(
      expect.arrayContaining(['publishOrderEvents', 'reserveStock', 'publishDomainEvents', 'settleOrders', 'notifyCustomers']),
    );

    // Every log line any function wrote about this order carries the id: none is missing from the grep.
    const aboutTheOrder = stackOutput()
      .split('\n')
      .filter((line) => line.includes(orderId) && /^\[(order-processor|items-api|notifier)\] \{/.test(line));
    expect(aboutTheOrder.length).toBeGreaterThanOrEqual(6);
    expect(aboutTheOrder.filter((line) => !line.includes(requestId))).toEqual([]);

    // The business metrics went out beside the logs, as EMF lines in the stage's namespace.
    expect(stackOutput()).toMatch(/^\[order-processor\] \{"_aws":.*"Namespace":"Platform\/local".*"OrdersPlaced":\d+/m);

    // On the bus, each event of the order carries it in its envelope and as the SNS message attribute.
    const events = await waitFor(async () => {
      const ofOrder = (await publishedOnBus()).filter((message) => JSON.parse(message.Body ?? '{}').data?.orderId === orderId);
      return ofOrder.length >= 3 ? ofOrder : undefined;
    }, `the events of order ${orderId} on the bus`);
    expect(
      events
        .map((message) => {
          const envelope = JSON.parse(message.Body ?? '{}');
          return [envelope.type, envelope.correlationId, message.MessageAttributes?.correlationId?.StringValue];
        })
        .sort(([a], [b]) => SAGA_EVENTS.indexOf(a) - SAGA_EVENTS.indexOf(b)),
    ).toEqual(SAGA_EVENTS.map((type) => [type, requestId, requestId]));
  });
});
