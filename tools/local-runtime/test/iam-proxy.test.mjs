// The enforcing proxies forward only what they authorized: POST / with the
// Content-Type (and X-Amz-Target) of the protocol read, never the caller's
// method, path or a Content-Type that would make the emulator serve another
// service. Against fauxqs itself (which picks SNS or SQS by Content-Type and
// serves REST paths), and a recording stand-in for DynamoDB Local.
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { functionAccessKeyId, localClientConfig } from '../aws.cjs';
import { startSnsSqs } from '../emulators/sns-sqs.mjs';
import { createAuthorizer } from '../iam/authorizer.mjs';
import { startEnforcingProxy } from '../iam/enforcing-proxy.mjs';
import { listen } from '../stack/listen.mjs';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const FN = 'iamproxy-caller';
const TABLE_ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/allowed`;
const credentials = { accessKeyId: functionAccessKeyId(FN), secretAccessKey: 'local' };
/** A SigV4 Authorization header as the function's SDK would sign it for `service` (the emulators do not check the signature). */
const signedFor = (service) => `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20261207/${REGION}/${service}/aws4_request, SignedHeaders=host, Signature=0`;

describe('local IAM proxies forward only what they authorized', { timeout: 60_000 }, () => {
  const lines = [];
  /** What the DynamoDB stand-in received. */
  const received = [];
  let snsSqs, dynamodbStandIn, snsSqsProxy, dynamodbProxy, admin, topicArn, queueUrl;

  before(async () => {
    snsSqs = await startSnsSqs(0);
    admin = { sns: new SNSClient(localClientConfig(snsSqs.endpoint)), sqs: new SQSClient(localClientConfig(snsSqs.endpoint)) };
    ({ TopicArn: topicArn } = await admin.sns.send(new CreateTopicCommand({ Name: 'iamproxy-bus' })));
    ({ QueueUrl: queueUrl } = await admin.sqs.send(new CreateQueueCommand({ QueueName: 'iamproxy-inbox' })));
    await admin.sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: `arn:aws:sqs:${REGION}:${ACCOUNT}:iamproxy-inbox`, Attributes: { RawMessageDelivery: 'true' } }));

    dynamodbStandIn = http.createServer((request, response) => {
      const chunks = [];
      request.on('data', (chunk) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ method: request.method, url: request.url, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        response.end('{}');
      });
    });
    const standInPort = await listen(dynamodbStandIn, 0, '127.0.0.1');

    const statements = [
      { Effect: 'Allow', Action: ['dynamodb:GetItem'], Resource: [TABLE_ARN] },
      { Effect: 'Allow', Action: ['sns:Publish'], Resource: [topicArn] },
      { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [`arn:aws:sqs:${REGION}:${ACCOUNT}:iamproxy-inbox`] },
    ];
    const authorizer = createAuthorizer({ roles: new Map([[FN, { functionName: FN, roleName: `${FN}-role`, statements }]]), region: REGION, log: (line) => lines.push(line) });
    [snsSqsProxy, dynamodbProxy] = await Promise.all([
      startEnforcingProxy({ upstreamPort: snsSqs.port, emulator: 'sns-sqs', authorizer }),
      startEnforcingProxy({ upstreamPort: standInPort, emulator: 'dynamodb', authorizer }),
    ]);
  });

  after(async () => {
    await Promise.all([snsSqsProxy?.close(), dynamodbProxy?.close()]);
    dynamodbStandIn?.closeAllConnections();
    await new Promise((resolve) => (dynamodbStandIn ? dynamodbStandIn.close(resolve) : resolve()));
    await snsSqs?.stop();
  });

  /** A raw request to a proxy, as a caller crafting it would send it (a GET with a body too, which fetch cannot send). */
  const raw = (port, method, path, headers, body = '') =>
    new Promise((resolve, reject) => {
      const request = http.request({ host: '127.0.0.1', port, method, path, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      });
      request.on('error', reject);
      request.end(body);
    });
  /** Messages waiting in the queue the bus delivers to (taken out). */
  const delivered = async () => (await admin.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }))).Messages ?? [];
  const denials = () => lines.filter((line) => line.startsWith('DENIED'));

  it('still forwards what the SDK sends and the role allows', async () => {
    const sns = new SNSClient({ ...localClientConfig(`http://127.0.0.1:${snsSqsProxy.port}`), credentials });
    const sqs = new SQSClient({ ...localClientConfig(`http://127.0.0.1:${snsSqsProxy.port}`), credentials, useQueueUrlAsEndpoint: false });
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'published' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'sent' }));
    assert.deepEqual((await delivered()).map((message) => message.Body).sort(), ['published', 'sent']);
    assert.deepEqual(denials(), []);
  });

  it('refuses a form carrying a DynamoDB target, which fauxqs would serve as an SNS Publish', async () => {
    const body = `{"TableName":"allowed","Key":{"pk":{"S":"a"}},"x":"&Action=Publish&TopicArn=${topicArn}&Message=smuggled&"}`;
    const answer = await raw(snsSqsProxy.port, 'POST', '/', { 'content-type': 'application/x-www-form-urlencoded', 'x-amz-target': 'DynamoDB_20120810.GetItem', authorization: signedFor('dynamodb') }, body);
    assert.equal(answer.status, 400);
    assert.doesNotMatch(answer.body, /PublishResponse/);
    assert.deepEqual(await delivered(), []);
    assert.match(denials().at(-1) ?? '', new RegExp(`^DENIED ${FN} \\(a request the local IAM layer does not forward: `));
  });

  it('refuses fauxqs’s REST paths and S3, whatever the body claims', async () => {
    await admin.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'private' }));
    const publish = new URLSearchParams({ Action: 'Publish', TopicArn: topicArn, Message: 'x' }).toString();
    const form = { 'content-type': 'application/x-www-form-urlencoded', authorization: signedFor('sns') };
    const inspect = await raw(snsSqsProxy.port, 'GET', '/_fauxqs/queues/iamproxy-inbox', form, publish);
    assert.equal(inspect.status, 400);
    assert.doesNotMatch(inspect.body, /private/);
    assert.match(inspect.body, /<Code>InvalidAction<\/Code>/);
    const bucket = await raw(snsSqsProxy.port, 'PUT', '/some-bucket', form, publish);
    assert.equal(bucket.status, 400);
    assert.match(bucket.body, /<Code>InvalidAction<\/Code>/);
    // The bus got neither as a Publish.
    assert.deepEqual((await delivered()).map((message) => message.Body), ['private']);
    assert.equal(denials().length, 3);
    assert.match(denials().at(-1) ?? '', /does not forward: PUT \/some-bucket: only POST \/ is forwarded/);
  });

  it('refuses SQS’s query protocol, which fauxqs would serve as SNS', async () => {
    const body = new URLSearchParams({ Action: 'Publish', TopicArn: topicArn, Message: 'x' }).toString();
    const answer = await raw(snsSqsProxy.port, 'POST', '/', { 'content-type': 'application/x-www-form-urlencoded', authorization: signedFor('sqs') }, body);
    assert.equal(answer.status, 400);
    assert.deepEqual(await delivered(), []);
  });

  it('sends DynamoDB Local POST / with the protocol’s own Content-Type and X-Amz-Target, not the caller’s', async () => {
    const dynamodb = new DynamoDBClient({ ...localClientConfig(`http://127.0.0.1:${dynamodbProxy.port}`), credentials });
    await dynamodb.send(new GetItemCommand({ TableName: 'allowed', Key: { pk: { S: 'a' } } }));
    await raw(dynamodbProxy.port, 'POST', '/', { 'content-type': 'application/x-amz-json-1.0; charset=UTF-8', 'x-amz-target': 'DynamoDB_20120810.GetItem', authorization: signedFor('dynamodb') }, '{"TableName":"allowed"}');
    assert.deepEqual(
      received.map(({ method, url, headers }) => [method, url, headers['content-type'], headers['x-amz-target']]),
      [
        ['POST', '/', 'application/x-amz-json-1.0', 'DynamoDB_20120810.GetItem'],
        ['POST', '/', 'application/x-amz-json-1.0', 'DynamoDB_20120810.GetItem'],
      ],
    );
    // SQS's target through the DynamoDB proxy, and a GET, reach nothing.
    const sqsThere = await raw(dynamodbProxy.port, 'POST', '/', { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.SendMessage', authorization: signedFor('sqs') }, '{}');
    const get = await raw(dynamodbProxy.port, 'GET', '/shell/', { authorization: signedFor('dynamodb') });
    assert.deepEqual([sqsThere.status, get.status], [400, 400]);
    assert.equal(JSON.parse(get.body).__type, 'com.amazon.coral.service#UnknownOperationException');
    assert.equal(received.length, 2);
  });

  it('refuses a PartiQL statement it cannot classify exactly, and says why', async () => {
    const execute = (Statement) =>
      raw(dynamodbProxy.port, 'POST', '/', { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ExecuteStatement', authorization: signedFor('dynamodb') }, JSON.stringify({ Statement }));
    const answer = await execute('/* c */ DELETE FROM "allowed" WHERE pk = \'a\'');
    assert.equal(answer.status, 400);
    assert.equal(JSON.parse(answer.body).__type, 'com.amazonaws.dynamodb.v20120810#AccessDeniedException');
    assert.match(denials().at(-1) ?? '', /cannot read: a PartiQL statement it cannot classify exactly \(a comment\)/);
    // Read exactly, a SELECT is still only a SELECT, and this role does not grant PartiQL.
    assert.equal((await execute('SELECT * FROM "allowed"')).status, 400);
    assert.equal(denials().at(-1), `DENIED ${FN} dynamodb:PartiQLSelect ${TABLE_ARN}`);
    assert.equal(received.length, 2);
  });
});
