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
    const placed = buildEvent('order.placed', 'items-api', data);
    const confirmed = buildEvent('order.confirmed', 'order-processor', data);
    await publisher.publish(placed);
    await publisher.publish(confirmed);

    expect(await topic.published()).toEqual([placed, confirmed]);
    expect(await placedOnly()).toEqual([placed]);
    expect(await outcomesOnly()).toEqual([confirmed]);
  });

  it('refuses to publish an event that breaks its contract', async () => {
    const publisher = createSnsPublisher(topic.topicArn);
    const broken = { ...buildEvent('order.placed', 'items-api', data), data: { ...data, quantity: 0 } } as DomainEvent;
    await expect(publisher.publish(broken)).rejects.toThrow(InvalidEventError);
    expect(await topic.published()).toEqual([]);
  });
});
