import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SNSClient } from '@aws-sdk/client-sns';
import { randomUUID } from 'node:crypto';
import { useLocalCredentials } from '../aws.cjs';
import { startDynamoDbLocal } from '../emulators/dynamodb-local.mjs';
import { startSnsSqs } from '../emulators/sns-sqs.mjs';
import { freePort } from '../stack/processes.mjs';

useLocalCredentials();

export const startEmulator = async () => {
  const emulator = await startSnsSqs(0);
  const sqs = new SQSClient({ endpoint: emulator.endpoint });
  const sns = new SNSClient({ endpoint: emulator.endpoint });
  return { ...emulator, sqs, sns };
};

/** A queue with a DLQ after `maxReceiveCount` receives. */
export const createQueueWithDlq = async (sqs, { visibilityTimeout = 30, maxReceiveCount = 3 } = {}) => {
  const name = `q-${randomUUID()}`;
  const { QueueUrl: dlqUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }));
  const { QueueUrl: queueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(visibilityTimeout),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes.QueueArn, maxReceiveCount }),
      },
    }),
  );
  const { Attributes: queue } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  return { queueUrl, queueArn: queue.QueueArn, dlqUrl };
};

export const send = async (sqs, queueUrl, bodies) => {
  for (const body of bodies) await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
};

export const drain = async (sqs, queueUrl) => {
  const bodies = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (Messages.length === 0) return bodies;
    bodies.push(...Messages.map((message) => message.Body));
  }
};

export const waitUntil = async (condition, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('condition not met in time');
};

/**
 * A table keyed by `pk` with a NEW_AND_OLD_IMAGES stream; its stream ARN.
 * @param {import('@aws-sdk/client-dynamodb').DynamoDBClient} dynamodb @param {string} name
 */
/** DynamoDB Local on a free port, with a client for it and one for its streams (stop it with stopAll). */
export const startDynamoDbWithStreams = async () => {
  const { endpoint } = await startDynamoDbLocal(await freePort());
  return { dynamodb: new DynamoDBClient({ endpoint }), streams: new DynamoDBStreamsClient({ endpoint }) };
};

export const createTableWithStream = async (dynamodb, name) => {
  const { TableDescription } = await dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  return TableDescription?.LatestStreamArn;
};

/** @param {import('@aws-sdk/client-dynamodb').DynamoDBClient} dynamodb @param {string} table @param {string} pk */
export const putKey = (dynamodb, table, pk) => dynamodb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: pk } } }));
