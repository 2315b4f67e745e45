// The IAM proxy records each SNS Publish and PublishBatch a function made
// that its role allowed and the emulator took (2xx), as a `publish` hop for
// the local console: the Message as sent and its attributes' values. Nothing
// for a denied call, nor for one the emulator refused. Against fauxqs.
import { CreateTopicCommand, PublishBatchCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { functionAccessKeyId, localClientConfig } from '../aws.cjs';
import { startSnsSqs } from '../emulators/sns-sqs.mjs';
import { createAuthorizer } from '../iam/authorizer.mjs';
import { startEnforcingProxy } from '../iam/enforcing-proxy.mjs';
import { startLocalIam } from '../iam/local-iam.mjs';
import { publishHop } from '../iam/publish-hop.mjs';
import { createRecorder } from '../stack/recorder.mjs';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const FN = 'iampublish-relay';
const MISSING_TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:iampublish-missing`;
const credentials = { accessKeyId: functionAccessKeyId(FN), secretAccessKey: 'local' };

describe('the IAM proxy records what functions publish', { timeout: 60_000 }, () => {
  const lines = [];
  const recorder = createRecorder();
  let snsSqs, proxy, sns, topicArn, otherTopicArn;

  before(async () => {
    snsSqs = await startSnsSqs(0);
    const admin = new SNSClient(localClientConfig(snsSqs.endpoint));
    ({ TopicArn: topicArn } = await admin.send(new CreateTopicCommand({ Name: 'iampublish-bus' })));
    ({ TopicArn: otherTopicArn } = await admin.send(new CreateTopicCommand({ Name: 'iampublish-other' })));
    admin.destroy();
    const statements = [{ Effect: 'Allow', Action: ['sns:Publish'], Resource: [topicArn, MISSING_TOPIC] }];
    const authorizer = createAuthorizer({ roles: new Map([[FN, { functionName: FN, roleName: `${FN}-role`, statements }]]), region: REGION, log: (line) => lines.push(line), recorder });
    proxy = await startEnforcingProxy({ upstreamPort: snsSqs.port, emulator: 'sns-sqs', authorizer });
    sns = new SNSClient({ ...localClientConfig(`http://127.0.0.1:${proxy.port}`), credentials, maxAttempts: 1 });
  });

  after(async () => {
    sns?.destroy();
    await proxy?.close();
    await snsSqs?.stop();
  });

  const published = () => recorder.hops().filter((hop) => hop.kind === 'publish');

  it('records an allowed Publish: the function, the topic, the Message as sent and its attributes', async () => {
    const before = Date.now();
    const message = JSON.stringify({ id: 'thing.changed:1', type: 'thing.changed', version: 1, occurredAt: new Date(0).toISOString(), source: 'svc', correlationId: 'req-1', data: { id: '1' } });
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: message,
        MessageAttributes: { type: { DataType: 'String', StringValue: 'thing.changed' }, correlationId: { DataType: 'String', StringValue: 'req-1' } },
      }),
    );
    const [hop, ...more] = published();
    assert.deepEqual(more, []);
    assert.ok(hop);
    assert.equal(hop.functionName, FN);
    assert.equal(hop.topicArn, topicArn);
    assert.ok(Number(hop.at) >= before && Number(hop.at) <= Date.now());
    assert.deepEqual(hop.messages, [{ body: message, attributes: { type: 'thing.changed', correlationId: 'req-1' } }]);
  });

  it('records an allowed PublishBatch as one hop with its messages in order', async () => {
    const seen = published().length;
    await sns.send(
      new PublishBatchCommand({
        TopicArn: topicArn,
        PublishBatchRequestEntries: [
          { Id: 'a', Message: 'first', MessageAttributes: { type: { DataType: 'String', StringValue: 'one' } } },
          { Id: 'b', Message: 'second', Subject: 'hello' },
        ],
      }),
    );
    const hops = published().slice(seen);
    assert.equal(hops.length, 1);
    assert.deepEqual(hops[0]?.messages, [
      { body: 'first', attributes: { type: 'one' } },
      { body: 'second', attributes: {}, subject: 'hello' },
    ]);
  });

  it('records nothing for a denied Publish, nor for one the emulator refused', async () => {
    const seen = recorder.total;
    await assert.rejects(sns.send(new PublishCommand({ TopicArn: otherTopicArn, Message: 'denied' })), (error) => error.name === 'AuthorizationErrorException');
    assert.match(lines.at(-1) ?? '', new RegExp(`^DENIED ${FN} sns:Publish ${otherTopicArn}`));
    await assert.rejects(sns.send(new PublishCommand({ TopicArn: MISSING_TOPIC, Message: 'nowhere' })));
    assert.equal(recorder.total, seen);
  });

  it('records nothing with LOCAL_IAM=off: the functions reach the emulator directly', async () => {
    const iam = await startLocalIam({ region: REGION, runtimeDynamodbPort: 1, runtimeSnsSqsPort: snsSqs.port }, { log: () => {}, env: { LOCAL_IAM: 'off' }, recorder });
    assert.equal(iam.snsSqsPort, snsSqs.port);
    await iam.close();
  });
});

describe('publishHop', () => {
  it('reads the messages of a Publish and a PublishBatch form, attributes by entry, batch members by number', () => {
    assert.deepEqual(
      publishHop({
        at: 1,
        functionName: 'f',
        operation: 'PublishBatch',
        params: {
          Action: 'PublishBatch',
          TopicArn: 'arn:t',
          'PublishBatchRequestEntries.member.10.Id': 'j',
          'PublishBatchRequestEntries.member.10.Message': 'tenth',
          'PublishBatchRequestEntries.member.2.Id': 'b',
          'PublishBatchRequestEntries.member.2.Message': 'second',
          'PublishBatchRequestEntries.member.2.MessageAttributes.entry.1.Name': 'type',
          'PublishBatchRequestEntries.member.2.MessageAttributes.entry.1.Value.DataType': 'String',
          'PublishBatchRequestEntries.member.2.MessageAttributes.entry.1.Value.StringValue': 't',
          'PublishBatchRequestEntries.member.2.MessageAttributes.entry.2.Name': 'blob',
          'PublishBatchRequestEntries.member.2.MessageAttributes.entry.2.Value.DataType': 'Binary',
          'PublishBatchRequestEntries.member.2.MessageAttributes.entry.2.Value.BinaryValue': 'AAE=',
        },
      }),
      {
        kind: 'publish',
        at: 1,
        functionName: 'f',
        topicArn: 'arn:t',
        messages: [
          { body: 'second', attributes: { type: 't', blob: 'AAE=' } },
          { body: 'tenth', attributes: {} },
        ],
      },
    );
    assert.equal(publishHop({ at: 1, functionName: 'f', operation: 'CreateTopic', params: { Action: 'CreateTopic', Name: 'x' } }), undefined);
  });
});
