// The local IAM layer end to end, as `npm start` runs it: a service
// (fixtures/iam-service) compiled with `serverless package --stage local`, its
// resources provisioned in DynamoDB Local and fauxqs, its role enforced by
// the proxies, and its function run by serverless-offline with its own key.
// A call outside the role fails in the function as it would in AWS; a call
// inside it works; the admin key is never checked.
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { functionAccessKeyId, localAwsEnv, localClientConfig } from '../aws.cjs';
import { packageForLocal } from '../cloudformation/compiled-stack.mjs';
import { startDynamoDbLocal } from '../emulators/dynamodb-local.mjs';
import { startLocalIam } from '../iam/local-iam.mjs';
import { describeWrites } from '../iam/write-log.mjs';
import { startOffline } from '../lambda/offline.mjs';
import { freePort, stopAll, waitForPort } from '../stack/processes.mjs';
import { provisionStacks } from '../cloudformation/provision.mjs';
import { startSnsSqs } from '../emulators/sns-sqs.mjs';

const SERVICE = { name: 'iamfix', dir: path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/iam-service') };
const FUNCTION = 'iamfix-local-caller';
const REGION = 'us-east-1';
const TABLE = 'iamfix-local-things';
const TABLE_ARN = `arn:aws:dynamodb:${REGION}:000000000000:table/${TABLE}`;
const PRINCIPAL = `arn:aws:sts::000000000000:assumed-role/iamfix-local-caller-${REGION}-lambdaRole/${FUNCTION}`;

describe('a function calling outside its role, locally', { timeout: 240_000 }, () => {
  const lines = [];
  let snsSqs;
  let iam;
  let admin;
  let invoke;
  let stack;

  before(async () => {
    const [dynamodbPort, lambdaPort, httpPort] = [await freePort(), await freePort(), await freePort()];
    const [dynamodb, emulator, compiled] = await Promise.all([startDynamoDbLocal(dynamodbPort), startSnsSqs(0), packageForLocal(SERVICE, { AWS_REGION: REGION })]);
    snsSqs = emulator;
    stack = compiled;
    const clients = {
      dynamodb: new DynamoDBClient(localClientConfig(dynamodb.endpoint)),
      streams: new DynamoDBStreamsClient(localClientConfig(dynamodb.endpoint)),
      sns: new SNSClient(localClientConfig(snsSqs.endpoint)),
      sqs: new SQSClient(localClientConfig(snsSqs.endpoint)),
    };
    admin = clients.dynamodb;
    await provisionStacks([stack], { clients, region: REGION, log: () => {} });
    iam = await startLocalIam({ region: REGION, runtimeDynamodbPort: dynamodbPort, runtimeSnsSqsPort: snsSqs.port }, { log: (line) => lines.push(line), env: {} });
    iam.enforce([stack]);
    const offline = startOffline(SERVICE, { lambda: lambdaPort, http: httpPort }, localAwsEnv({ region: REGION, dynamodbPort: iam.dynamodbPort, snsSqsPort: iam.snsSqsPort }));
    await waitForPort(lambdaPort, offline, SERVICE.name);
    invoke = async (event) => {
      const response = await fetch(`http://127.0.0.1:${lambdaPort}/2015-03-31/functions/${FUNCTION}/invocations`, { method: 'POST', body: JSON.stringify(event) });
      return response.json();
    };
    await admin.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'kept' } } }));
  });

  after(async () => {
    await iam?.close();
    await stopAll();
    await snsSqs?.stop();
  });

  const queueUrl = (name) => stack.physicalIds.get(name).attributes.QueueUrl;
  const denials = () => lines.filter((line) => line.startsWith('[iam] DENIED'));

  it('runs the function with its own access key, and allows what its role allows', async () => {
    assert.deepEqual(await invoke({ call: 'get', pk: 'kept' }), { ok: true, accessKeyId: functionAccessKeyId(FUNCTION) });
    assert.deepEqual(await invoke({ call: 'put', pk: 'new' }), { ok: true, accessKeyId: functionAccessKeyId(FUNCTION) });
    assert.equal((await invoke({ call: 'publish', topic: 'ALLOWED_TOPIC_ARN' })).ok, true);
    assert.equal((await invoke({ call: 'send', queueUrl: queueUrl('AllowedQueue') })).ok, true);
    assert.deepEqual(denials(), []);
  });

  it('fails a DynamoDB action outside the role with AccessDeniedException, as AWS words it, and changes nothing', async () => {
    assert.deepEqual(await invoke({ call: 'delete', pk: 'kept' }), {
      error: 'AccessDeniedException',
      status: 400,
      message: `User: ${PRINCIPAL} is not authorized to perform: dynamodb:DeleteItem on resource: ${TABLE_ARN} because no identity-based policy allows the dynamodb:DeleteItem action`,
    });
    assert.ok(denials().includes(`[iam] DENIED ${FUNCTION} dynamodb:DeleteItem ${TABLE_ARN}`), denials().join('\n'));
    const { Item } = await admin.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'kept' } } }));
    assert.equal(Item?.pk?.S, 'kept');
  });

  it('checks each part of a transaction: one Delete outside the role fails the whole TransactWriteItems', async () => {
    const answer = await invoke({ call: 'transact', pk: 'kept' });
    assert.equal(answer.error, 'AccessDeniedException');
    assert.match(answer.message, /dynamodb:DeleteItem/);
    const { Item } = await admin.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'kept-new' } } }));
    assert.equal(Item, undefined, 'the allowed Put of the transaction was not written');
  });

  it('applies an explicit Deny with a dynamodb:LeadingKeys condition over the Allow', async () => {
    const answer = await invoke({ call: 'put', pk: 'locked#1' });
    assert.equal(answer.error, 'AccessDeniedException');
    assert.match(answer.message, /dynamodb:PutItem on resource: .* with an explicit deny in an identity-based policy$/);
  });

  it('fails a publish to a topic outside the role with AuthorizationErrorException (403)', async () => {
    const answer = await invoke({ call: 'publish', topic: 'OTHER_TOPIC_ARN' });
    assert.equal(answer.error, 'AuthorizationErrorException');
    assert.equal(answer.status, 403);
    assert.match(answer.message, /is not authorized to perform: SNS:Publish on resource: arn:aws:sns:us-east-1:000000000000:iamfix-local-other /);
  });

  it('fails a send to a queue outside the role with AccessDenied (403)', async () => {
    const answer = await invoke({ call: 'send', queueUrl: queueUrl('OtherQueue') });
    assert.equal(answer.error, 'AccessDenied');
    assert.equal(answer.status, 403);
    assert.match(answer.message, /sqs:sendmessage on resource: arn:aws:sqs:us-east-1:000000000000:iamfix-local-other /);
  });

  it('tells what a function wrote, as the proxies saw it pass: what its role allowed and the emulator answered, never what IAM refused', async () => {
    const startedAt = Date.now();
    await invoke({ call: 'put', pk: 'seen' });
    await invoke({ call: 'publish', topic: 'ALLOWED_TOPIC_ARN' });
    await invoke({ call: 'transact', pk: 'kept' });
    const writes = await iam.writesOf({ functionName: FUNCTION, startedAt, endedAt: Date.now(), alone: true });
    assert.equal(describeWrites(writes), `wrote: PutItem on ${TABLE}; Publish on iamfix-local-allowed`);
  });

  it('lets the admin key through unchecked, and refuses a key no function has', async () => {
    const viaProxy = (credentials) => new DynamoDBClient({ endpoint: `http://127.0.0.1:${iam.dynamodbPort}`, region: REGION, credentials });
    await viaProxy({ accessKeyId: 'local', secretAccessKey: 'local' }).send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'locked#admin' } } }));
    await assert.rejects(viaProxy({ accessKeyId: 'LOCALFNSOMEONEELSE', secretAccessKey: 'x' }).send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'kept' } } })), {
      name: 'UnrecognizedClientException',
    });
  });
});

describe('LOCAL_IAM=off', () => {
  it('sends the functions straight to the emulators and says loudly that nothing is enforced', async () => {
    const said = [];
    const error = console.error;
    console.error = (line) => said.push(line);
    try {
      const iam = await startLocalIam({ region: REGION, runtimeDynamodbPort: 8123, runtimeSnsSqsPort: 4577 }, { log: () => {}, env: { LOCAL_IAM: 'off' } });
      assert.deepEqual([iam.dynamodbPort, iam.snsSqsPort], [8123, 4577]);
      iam.enforce([]);
    } finally {
      console.error = error;
    }
    assert.equal(said.filter((line) => /IAM is NOT enforced/.test(line)).length, 2, said.join('\n'));
    await assert.rejects(startLocalIam({ region: REGION, runtimeDynamodbPort: 1, runtimeSnsSqsPort: 2 }, { log: () => {}, env: { LOCAL_IAM: 'of' } }), /LOCAL_IAM must be on or off, got of/);
  });
});
