// LOCAL_PERSIST=1: DynamoDB Local keeps its tables, and fauxqs its topics,
// queues and messages, in a folder across a restart, provisioning takes what is there (tables, queues, subscriptions)
// instead of failing or duplicating it, and a stream mapping resumes after the
// last record it processed instead of relaying the kept stream again.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { ListSubscriptionsByTopicCommand, GetSubscriptionAttributesCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { localClientConfig } from '../aws.cjs';
import { provisionStacks } from '../cloudformation/provision.mjs';
import { claimDataDir, startDynamoDbLocal } from '../emulators/dynamodb-local.mjs';
import { startSnsSqs } from '../emulators/sns-sqs.mjs';
import { createCheckpoints } from '../event-sources/checkpoints.mjs';
import { startStreamEventSource } from '../event-sources/stream-event-source.mjs';
import { readConfig } from '../stack/config.mjs';
import { dataLine } from '../stack/report.mjs';
import { freePort } from '../stack/processes.mjs';
import { waitUntil } from './helpers.mjs';

const TABLE = 'keep-local-things';

/** A compiled template as `serverless package` makes one: a table with a stream, a topic, a queue with a DLQ, a filtered subscription. */
const template = ({ visibilityTimeout = 36, filter = ['thing.made'], index = false } = {}) => ({
  Resources: {
    ThingsTable: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        TableName: TABLE,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, ...(index ? [{ AttributeName: 'shard', AttributeType: 'S' }] : [])],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        ...(index && { GlobalSecondaryIndexes: [{ IndexName: 'byShard', KeySchema: [{ AttributeName: 'shard', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } }] }),
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      },
    },
    Bus: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'keep-local-bus' } },
    ThingsDlq: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'keep-local-things-dlq' } },
    ThingsQueue: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: 'keep-local-things',
        VisibilityTimeout: visibilityTimeout,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['ThingsDlq', 'Arn'] }, maxReceiveCount: 5 },
      },
    },
    ThingsSubscription: {
      Type: 'AWS::SNS::Subscription',
      Properties: { TopicArn: { Ref: 'Bus' }, Protocol: 'sqs', Endpoint: { 'Fn::GetAtt': ['ThingsQueue', 'Arn'] }, RawMessageDelivery: true, FilterPolicy: { type: filter } },
    },
  },
});

describe('LOCAL_PERSIST=1', { timeout: 180_000 }, () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'local-data-'));
  let snsSqs;
  let clients;
  let port;
  /** @type {Awaited<ReturnType<typeof startDynamoDbLocal>> | undefined} */
  let dynamodb;

  const startTables = async () => {
    dynamodb = await startDynamoDbLocal(port, { dataDir: path.join(dataDir, 'dynamodb') });
    clients.dynamodb = new DynamoDBClient(localClientConfig(dynamodb.endpoint));
  };
  const stopTables = async () => {
    const jvm = dynamodb?.process;
    if (!jvm || jvm.exitCode !== null) return;
    const exited = new Promise((resolve) => jvm.once('exit', resolve));
    process.kill(-(/** @type {number} */ (jvm.pid)), 'SIGTERM');
    await exited;
  };
  const startQueues = async () => {
    snsSqs = await startSnsSqs(0, { dataDir: path.join(dataDir, 'sns-sqs') });
    clients = { ...clients, sns: new SNSClient(localClientConfig(snsSqs.endpoint)), sqs: new SQSClient(localClientConfig(snsSqs.endpoint)) };
  };
  const provision = async (compiled, log = () => undefined) => {
    const [stack] = await provisionStacks([{ name: 'keep', dir: dataDir, reused: true, compiledDir: dataDir, template: compiled }], { clients, region: 'us-east-1', log });
    return stack;
  };

  before(async () => {
    port = await freePort();
    await startQueues();
    await startTables();
  });

  after(async () => {
    await stopTables();
    await snsSqs?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('provisions twice against the same emulators without an error, and changes nothing the second time', async () => {
    const lines = [];
    const first = await provision(template(), (line) => lines.push(line));
    const second = await provision(template(), (line) => lines.push(line));
    assert.deepEqual(first.keptTables, []);
    assert.deepEqual(second.keptTables, [TABLE]);
    assert.ok(lines.includes(`keep: tables ${TABLE} (kept from an earlier run)`), lines.join('\n'));
    assert.equal(second.physicalIds.get('ThingsTable').attributes.StreamArn, first.physicalIds.get('ThingsTable').attributes.StreamArn);
    const { Subscriptions = [] } = await clients.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: second.physicalIds.get('Bus').ref }));
    assert.equal(Subscriptions.length, 1, 'one subscription, not two');
  });

  it('takes a queue and a subscription that exist with other attributes, and gives them the template’s', async () => {
    await provision(template());
    const stack = await provision(template({ visibilityTimeout: 60, filter: ['thing.made', 'thing.gone'] }));
    const queueUrl = stack.physicalIds.get('ThingsQueue').ref;
    const { Attributes } = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['VisibilityTimeout'] }));
    assert.equal(Attributes?.VisibilityTimeout, '60');
    const { Subscriptions = [] } = await clients.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: stack.physicalIds.get('Bus').ref }));
    assert.equal(Subscriptions.length, 1);
    const { Attributes: subscription } = await clients.sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: Subscriptions[0]?.SubscriptionArn }));
    assert.deepEqual(JSON.parse(String(subscription?.FilterPolicy)), { type: ['thing.made', 'thing.gone'] });
  });

  it('keeps the topics, queues, subscriptions and messages still queued across a restart, and takes them again', async () => {
    const stack = await provision(template());
    const queueUrl = stack.physicalIds.get('ThingsQueue').ref;
    await clients.sns.send(new PublishCommand({ TopicArn: stack.physicalIds.get('Bus').ref, Message: '{"kept":true}', MessageAttributes: { type: { DataType: 'String', StringValue: 'thing.made' } } }));
    await snsSqs.stop();
    await startQueues();
    const again = await provision(template());
    assert.equal(again.physicalIds.get('ThingsQueue').ref, queueUrl);
    const { Messages = [] } = await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
    assert.deepEqual(Messages.map((message) => message.Body), ['{"kept":true}']);
    const { Subscriptions = [] } = await clients.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: again.physicalIds.get('Bus').ref }));
    assert.equal(Subscriptions.length, 1, 'one subscription, not two');
  });

  it('keeps the tables, their rows and where each stream mapping got to across a restart, and says when a table differs from its template', async () => {
    const stack = await provision(template());
    const streamArn = stack.physicalIds.get('ThingsTable').attributes.StreamArn;
    const file = path.join(dataDir, 'stream-checkpoints.json');
    const relayed = [];
    const invoke = async (_name, event) => {
      relayed.push(...event.Records.map((record) => record.dynamodb.Keys.pk.S));
      return { ok: true, payload: null, text: 'null' };
    };
    const relay = () =>
      startStreamEventSource({
        streams: new DynamoDBStreamsClient(localClientConfig(/** @type {any} */ (dynamodb).endpoint)),
        streamArn,
        functionName: 'keep-local-relay',
        invoke,
        checkpoints: createCheckpoints({ file }),
        retryDelayMs: 10,
        log: () => undefined,
      });

    await clients.dynamodb.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'before' } } }));
    let poller = relay();
    await waitUntil(() => relayed.includes('before'));
    await poller.stop();

    await stopTables();
    await startTables();
    const lines = [];
    const again = await provision(template({ index: true }), (line) => lines.push(line));
    assert.deepEqual(again.keptTables, [TABLE]);
    assert.equal(again.physicalIds.get('ThingsTable').attributes.StreamArn, streamArn);
    const { Item } = await clients.dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'before' } } }));
    assert.equal(Item?.pk?.S, 'before');
    assert.ok(
      lines.some((line) => line.startsWith(`!!! keep: table ${TABLE}, kept from an earlier run, differs from its template: GlobalSecondaryIndexes none, not byShard (shard HASH).`)),
      lines.join('\n'),
    );

    // The kept stream still holds 'before': the mapping resumes after it.
    await clients.dynamodb.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'after' } } }));
    relayed.length = 0;
    poller = relay();
    await waitUntil(() => relayed.includes('after'));
    await poller.stop();
    assert.deepEqual(relayed, ['after'], 'only what came after the restart');
  });
});

describe('LOCAL_PERSIST settings', () => {
  it('reads LOCAL_PERSIST, and says in the ready report where the data is', () => {
    assert.equal(readConfig({}).persistDir, undefined);
    assert.equal(readConfig({ LOCAL_PERSIST: '0' }).persistDir, undefined);
    assert.match(String(readConfig({ LOCAL_PERSIST: '1' }).persistDir), /\.local-data$/);
    assert.throws(() => readConfig({ LOCAL_PERSIST: 'yes' }), /LOCAL_PERSIST must be 1 \(keep the data in \.local-data\/\) or 0, got yes/);
    assert.equal(
      dataLine({}, 0),
      '  Data             in memory: every table and queue starts empty and is gone after Ctrl-C (LOCAL_PERSIST=1 keeps them)',
    );
    assert.equal(
      dataLine(readConfig({ LOCAL_PERSIST: '1' }), 3),
      '  Data             tables, queues and their messages kept in .local-data/ (LOCAL_PERSIST=1; 3 table(s) found from an earlier run)',
    );
  });

  it('lets one stack at a time use a data folder', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'local-data-'));
    try {
      const release = claimDataDir(dir);
      // Another running process holds it: this test's parent, say.
      writeFileSync(path.join(dir, 'in-use-by.pid'), String(process.ppid));
      assert.throws(() => claimDataDir(dir), new RegExp(`in use by another local stack \\(process ${process.ppid}\\)`));
      // A holder that is gone (a stack killed hard) does not keep it.
      writeFileSync(path.join(dir, 'in-use-by.pid'), '999999999');
      claimDataDir(dir)();
      release();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves a corrupt checkpoint file for a fresh start, and says so', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'local-data-'));
    try {
      const file = path.join(dir, 'stream-checkpoints.json');
      writeFileSync(file, '{ not json');
      const lines = [];
      const checkpoints = createCheckpoints({ file, log: (line) => lines.push(line) });
      assert.equal(checkpoints.size(), 0);
      assert.match(lines[0], /cannot read the stream checkpoints/);
      checkpoints.set('fn', 'arn', 'shard-1', '42');
      checkpoints.flush();
      assert.equal(createCheckpoints({ file }).get('fn', 'arn', 'shard-1'), '42');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
