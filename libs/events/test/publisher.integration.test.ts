import { SubscribeCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { createCapturedTopic, type CapturedTopic } from '@platform/testing';
import { buildEvent, createSnsPublisher, InvalidEventError, type DomainEvent } from '../src';

// Against the SNS/SQS emulator: a real topic, real subscriptions and filter policies.
let topic: CapturedTopic;

beforeAll(async () => {
  topic = await createCapturedTopic();
});

const data = { orderId: 'o1', itemId: 'i1', quantity: 1, customerEmail: 'ada@example.com' };

describe('SNS publisher', () => {
  it('publishes the envelope as the message, with type as a message attribute filter policies route on', async () => {
    const placedOnly = await topic.subscribe({ type: ['order.placed'] });
    const outcomesOnly = await topic.subscribe({ type: ['order.confirmed', 'order.rejected'] });
    const publisher = createSnsPublisher(topic.topicArn);
    const placed = buildEvent('order.placed', 'order-processor', data);
    const confirmed = buildEvent('order.confirmed', 'order-processor', data);
    await publisher.publish(placed);
    await publisher.publish(confirmed);

    expect(await topic.published()).toEqual([placed, confirmed]);
    expect(await placedOnly()).toEqual([placed]);
    expect(await outcomesOnly()).toEqual([confirmed]);
  });

  it('sends the event id and the correlation id as message attributes too, which reach a raw-delivery queue', async () => {
    const sqs = new SQSClient({ endpoint: process.env.AWS_ENDPOINT_URL_SQS });
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `attributes-${Date.now()}` }));
    const queueArn = `arn:aws:sqs:${process.env.AWS_REGION ?? 'us-east-1'}:000000000000:${String(QueueUrl).split('/').pop()}`;
    await new SNSClient({}).send(
      new SubscribeCommand({ TopicArn: topic.topicArn, Protocol: 'sqs', Endpoint: queueArn, Attributes: { RawMessageDelivery: 'true' } }),
    );
    const publisher = createSnsPublisher(topic.topicArn);
    await publisher.publish(buildEvent('order.placed', 'order-processor', data, { id: 'order.placed:o1', correlationId: 'Yp4lKhOtIAMEVXg=' }));
    await publisher.publish(buildEvent('order.placed', 'order-processor', data, { id: 'order.placed:o2' }));

    const messages: Message[] = [];
    for (let attempt = 0; attempt < 5 && messages.length < 2; attempt += 1) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }),
      );
      messages.push(...Messages);
    }
    const attributes = messages.map(({ MessageAttributes = {} }) =>
      Object.fromEntries(Object.entries(MessageAttributes).map(([name, value]) => [name, value.StringValue])),
    );
    expect(attributes.sort((a, b) => String(a.eventId).localeCompare(String(b.eventId)))).toEqual([
      { type: 'order.placed', eventId: 'order.placed:o1', correlationId: 'Yp4lKhOtIAMEVXg=' },
      { type: 'order.placed', eventId: 'order.placed:o2' },
    ]);
    await topic.published();
  });

  it('refuses to publish an event that breaks its contract', async () => {
    const publisher = createSnsPublisher(topic.topicArn);
    const broken = { ...buildEvent('order.placed', 'order-processor', data), data: { ...data, quantity: 0 } } as DomainEvent;
    await expect(publisher.publish(broken)).rejects.toThrow(InvalidEventError);
    expect(await topic.published()).toEqual([]);
  });
});
