import { randomUUID } from 'node:crypto';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

export interface CapturedTopic {
  topicArn: string;
  /** Subscribes another queue, optionally with a filter policy, and returns a reader for it. */
  subscribe(filterPolicy?: Record<string, unknown>): Promise<() => Promise<any[]>>;
  /** Everything published since the last call (raw delivery), parsed from JSON where it is JSON. */
  published(): Promise<any[]>;
}

const sqsClient = () => new SQSClient({ endpoint: process.env.AWS_ENDPOINT_URL_SQS });

const parseBody = (body: string): unknown => {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
};

const queueReader = (sqs: SQSClient, queueUrl: string) => async (): Promise<any[]> => {
  const bodies: any[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: bodies.length ? 0 : 1 }),
    );
    if (Messages.length === 0) return bodies;
    bodies.push(...Messages.map((message) => parseBody(message.Body ?? '')));
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((message, i) => ({ Id: String(i), ReceiptHandle: message.ReceiptHandle })),
      }),
    );
  }
};

/**
 * A fresh SNS topic in the emulator (AWS_ENDPOINT_URL_SNS / _SQS) with a queue
 * subscribed by raw delivery, so a test can see exactly what was published.
 */
export const createCapturedTopic = async (): Promise<CapturedTopic> => {
  const sns = new SNSClient({});
  const sqs = sqsClient();
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: `test-${randomUUID()}` }));
  const topicArn = TopicArn as string;

  const subscribe = async (filterPolicy?: Record<string, unknown>) => {
    const name = `capture-${randomUUID()}`;
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    const arn = `arn:aws:sqs:${process.env.AWS_REGION ?? 'us-east-1'}:000000000000:${name}`;
    await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: arn,
        Attributes: { RawMessageDelivery: 'true', ...(filterPolicy && { FilterPolicy: JSON.stringify(filterPolicy) }) },
      }),
    );
    return queueReader(sqs, QueueUrl as string);
  };

  return { topicArn, subscribe, published: await subscribe() };
};
