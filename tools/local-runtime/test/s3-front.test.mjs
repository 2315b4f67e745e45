// The local S3 front end to end: fauxqs (in this process) behind it, a
// template's bucket, queue, policies and function roles provisioned as
// `npm start` provisions them, and real HTTP: presigned POSTs made by
// @aws-sdk/s3-presigned-post and sent as multipart/form-data with fetch,
// presigned GET URLs made by @aws-sdk/s3-request-presigner, and SDK calls
// signed with each function's own key.
import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { ReceiveMessageCommand, SQSClient, DeleteMessageCommand } from '@aws-sdk/client-sqs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { functionAccessKeyId, functionSecretAccessKey, localClientConfig } from '../aws.cjs';
import { provisionStacks } from '../cloudformation/provision.mjs';
import { startSnsSqs } from '../emulators/sns-sqs.mjs';
import { startS3Front } from '../s3/s3-front.mjs';
import { eventKey } from '../s3/notifications.mjs';
import { createRecorder } from '../stack/recorder.mjs';

const REGION = 'us-east-1';
const BUCKET = 's3t-local-images';
const MAX = 1024;

/** @param {string} logicalId @param {any[]} statements */
const fn = (logicalId, statements) => ({
  [`${logicalId}Role`]: { Type: 'AWS::IAM::Role', Properties: { Policies: [{ PolicyName: 'p', PolicyDocument: { Statement: statements } }] } },
  [`${logicalId}Function`]: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: `s3t-local-${logicalId}`, Role: { 'Fn::GetAtt': [`${logicalId}Role`, 'Arn'] } } },
});
const objects = (prefix) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:s3:::\${Bucket}/${prefix}*` });

/** @param {{ sourceArn?: string }} [options] */
export const template = ({ sourceArn = 'arn:${AWS::Partition}:s3:::${AWS::StackName}-images' } = {}) => ({
  Resources: {
    Dlq: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 's3t-local-uploads-dlq' } },
    Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 's3t-local-uploads', RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Dlq', 'Arn'] }, maxReceiveCount: 5 } } },
    QueuePolicy: {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [{ Ref: 'Queue' }],
        PolicyDocument: {
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 's3.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: { 'Fn::GetAtt': ['Queue', 'Arn'] },
              Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::Sub': sourceArn } }, StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
            },
          ],
        },
      },
    },
    Bucket: {
      Type: 'AWS::S3::Bucket',
      Properties: {
        BucketName: { 'Fn::Sub': '${AWS::StackName}-images' },
        CorsConfiguration: { CorsRules: [{ AllowedOrigins: ['http://localhost:*'], AllowedMethods: ['POST', 'GET'], AllowedHeaders: ['*'], ExposedHeaders: ['ETag'], MaxAge: 3600 }] },
        LifecycleConfiguration: { Rules: [{ Id: 'expire-uploads', Status: 'Enabled', Prefix: 'uploads/', ExpirationInDays: 1 }] },
        NotificationConfiguration: { QueueConfigurations: [{ Event: 's3:ObjectCreated:*', Queue: { 'Fn::GetAtt': ['Queue', 'Arn'] }, Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: 'uploads/' }] } } }] },
      },
    },
    BucketPolicy: {
      Type: 'AWS::S3::BucketPolicy',
      Properties: {
        Bucket: { Ref: 'Bucket' },
        PolicyDocument: {
          Statement: [
            { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [{ 'Fn::GetAtt': ['Bucket', 'Arn'] }, { 'Fn::Sub': '${Bucket.Arn}/*' }], Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
            { Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: { 'Fn::Sub': '${Bucket.Arn}/forbidden/*' } },
          ],
        },
      },
    },
    ...fn('signer', [{ Effect: 'Allow', Action: ['s3:PutObject'], Resource: objects('uploads/') }]),
    ...fn('nothing', [{ Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: '*' }]),
    ...fn('reader', [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: objects('') }]),
    ...fn('processor', [
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:DeleteObject'], Resource: objects('uploads/') },
      { Effect: 'Allow', Action: ['s3:PutObject', 's3:DeleteObject'], Resource: objects('images/') },
    ]),
    ...fn('halfCopier', [{ Effect: 'Allow', Action: ['s3:PutObject'], Resource: objects('images/') }]),
  },
});

const credentialsOf = (name) => ({ accessKeyId: functionAccessKeyId(`s3t-local-${name}`), secretAccessKey: functionSecretAccessKey(`s3t-local-${name}`) });

describe('the local S3 front', { timeout: 60_000 }, () => {
  let emulator;
  let front;
  let sqs;
  let admin;
  let queueUrl;
  const recorder = createRecorder();
  const lines = [];
  /** A function's S3 client, through the front. @param {string} name */
  const clientOf = (name, options = {}) => new S3Client({ endpoint: front.endpoint, region: REGION, forcePathStyle: true, credentials: credentialsOf(name), ...options });
  const drainQueue = async () => {
    const bodies = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (Messages.length === 0) return bodies;
      for (const message of Messages) {
        bodies.push(JSON.parse(message.Body));
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
      }
    }
  };
  const settle = () => new Promise((resolve) => setTimeout(resolve, 150));
  const exists = (key) => admin.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })).then(() => true, () => false);

  /** A presigned POST as the items API makes it, sent as multipart/form-data. */
  const upload = async ({ signer = 'signer', key = 'uploads/item-1/img-1', contentType = 'image/png', size = 100, form: over = {}, extra = {}, clientOptions = {}, expires = 300, post = {} } = {}) => {
    const { url, fields } = await createPresignedPost(clientOf(signer, clientOptions), {
      Bucket: BUCKET,
      Key: key,
      Conditions: [['content-length-range', 1, MAX], ['eq', '$Content-Type', contentType], ['eq', '$x-amz-meta-correlation-id', 'corr-1']],
      Fields: { 'Content-Type': contentType, 'x-amz-meta-correlation-id': 'corr-1' },
      Expires: expires,
      ...post,
    });
    const form = new FormData();
    for (const [name, value] of Object.entries({ ...fields, ...over, ...extra })) form.append(name, value);
    form.append('file', new Blob([Buffer.alloc(size, 7)]), 'photo.png');
    const response = await fetch(url, { method: 'POST', body: form });
    return { status: response.status, body: await response.text(), url };
  };

  before(async () => {
    emulator = await startSnsSqs(0);
    sqs = new SQSClient(localClientConfig(emulator.endpoint));
    admin = new S3Client({ ...localClientConfig(emulator.endpoint), forcePathStyle: true });
    const clients = { dynamodb: new DynamoDBClient(localClientConfig('http://127.0.0.1:9')), sns: new SNSClient(localClientConfig(emulator.endpoint)), sqs, s3: admin };
    const stacks = await provisionStacks([{ name: 's3t', dir: '.', reused: true, compiledDir: '.', template: template() }], { clients, region: REGION, log: () => {} });
    queueUrl = stacks[0].physicalIds.get('Queue').attributes.QueueUrl;
    front = await startS3Front({ upstreamPort: emulator.port, region: REGION, log: (line) => lines.push(line), sqs });
    front.configure({ stacks, recorder });
  });

  after(async () => {
    await front?.close();
    await emulator?.stop();
  });

  it('sent the s3:TestEvent to the destination queue at provisioning', async () => {
    const [test, ...rest] = await drainQueue();
    assert.deepEqual(rest, []);
    assert.equal(test.Service, 'Amazon S3');
    assert.equal(test.Event, 's3:TestEvent');
    assert.equal(test.Bucket, BUCKET);
    assert.ok(test.Time && test.RequestId && test.HostId);
  });

  it('stores an upload in bounds and notifies the queue as S3 does', async () => {
    const { status } = await upload({ size: 100 });
    assert.equal(status, 204);
    const stored = await admin.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'uploads/item-1/img-1' }));
    assert.equal(stored.ContentType, 'image/png');
    assert.equal(stored.Metadata['correlation-id'], 'corr-1');
    assert.equal((await stored.Body.transformToByteArray()).length, 100);
    await settle();
    const [message, ...rest] = await drainQueue();
    assert.deepEqual(rest, []);
    const [record] = message.Records;
    assert.equal(record.eventVersion, '2.1');
    assert.equal(record.eventSource, 'aws:s3');
    assert.equal(record.awsRegion, REGION);
    assert.equal(record.eventName, 'ObjectCreated:Post');
    assert.ok(!Number.isNaN(Date.parse(record.eventTime)));
    assert.equal(record.s3.s3SchemaVersion, '1.0');
    assert.ok(record.s3.configurationId);
    assert.deepEqual({ name: record.s3.bucket.name, arn: record.s3.bucket.arn }, { name: BUCKET, arn: `arn:aws:s3:::${BUCKET}` });
    assert.ok(record.s3.bucket.ownerIdentity.principalId);
    assert.equal(record.s3.object.key, 'uploads/item-1/img-1');
    assert.equal(record.s3.object.size, 100);
    assert.match(record.s3.object.eTag, /^[0-9a-f]{32}$/);
    assert.match(record.s3.object.sequencer, /^[0-9A-F]+$/);
    const hops = recorder.hops();
    const post = hops.find((hop) => hop.kind === 's3' && hop.operation === 'PostObject' && hop.status === 204);
    assert.deepEqual(
      { bucket: post.bucket, key: post.key, caller: post.caller, correlationId: post.correlationId, bytes: post.bytes },
      { bucket: BUCKET, key: 'uploads/item-1/img-1', caller: 'presigned by s3t-local-signer', correlationId: 'corr-1', bytes: 100 },
    );
    const notification = hops.find((hop) => hop.kind === 's3-notification');
    assert.equal(notification.eventName, 'ObjectCreated:Post');
    assert.equal(notification.correlationId, 'corr-1');
    assert.match(notification.queueArn, /:s3t-local-uploads$/);
    assert.ok(notification.messageId);
  });

  it('refuses a file over content-length-range with 400 EntityTooLarge, stores nothing and notifies nobody', async () => {
    const { status, body } = await upload({ key: 'uploads/item-1/big', size: MAX + 1 });
    assert.equal(status, 400);
    assert.match(body, /<Code>EntityTooLarge<\/Code>/);
    assert.match(body, new RegExp(`<ProposedSize>${MAX + 1}</ProposedSize><MaxSizeAllowed>${MAX}</MaxSizeAllowed>`));
    assert.equal(await exists('uploads/item-1/big'), false);
    await settle();
    assert.deepEqual(await drainQueue(), []);
  });

  it('refuses an empty file with EntityTooSmall', async () => {
    const { status, body } = await upload({ key: 'uploads/item-1/empty', size: 0 });
    assert.equal(status, 400);
    assert.match(body, /<Code>EntityTooSmall<\/Code>/);
  });

  it('refuses a form whose Content-Type is not the policy\'s', async () => {
    const { status, body } = await upload({ key: 'uploads/item-1/type', form: { 'Content-Type': 'text/plain' } });
    assert.equal(status, 403);
    assert.match(body, /<Code>AccessDenied<\/Code><Message>Invalid according to Policy: Policy Condition failed: \[&quot;eq&quot;, &quot;\$Content-Type&quot;, &quot;image\/png&quot;\]<\/Message>/);
    assert.equal(await exists('uploads/item-1/type'), false);
  });

  it('refuses an expired policy', async () => {
    const { status, body } = await upload({ key: 'uploads/item-1/old', expires: 60, clientOptions: { systemClockOffset: -10 * 60_000 } });
    assert.equal(status, 403);
    assert.match(body, /Invalid according to Policy: Policy expired\./);
  });

  it('refuses a tampered signature with SignatureDoesNotMatch', async () => {
    const { fields } = await createPresignedPost(clientOf('signer'), { Bucket: BUCKET, Key: 'uploads/x' });
    const last = fields['X-Amz-Signature'].slice(-1);
    const { status, body } = await upload({ key: 'uploads/item-1/tampered', form: { 'X-Amz-Signature': `${fields['X-Amz-Signature'].slice(0, -1)}${last === '0' ? '1' : '0'}` } });
    assert.equal(status, 403);
    assert.match(body, /<Code>SignatureDoesNotMatch<\/Code>/);
  });

  it('refuses a policy signed with another function\'s secret', async () => {
    const { status, body } = await upload({ clientOptions: { credentials: { accessKeyId: credentialsOf('signer').accessKeyId, secretAccessKey: credentialsOf('reader').secretAccessKey } } });
    assert.equal(status, 403);
    assert.match(body, /SignatureDoesNotMatch/);
  });

  it('refuses a field no condition covers, and a key other than the policy\'s', async () => {
    const extra = await upload({ extra: { 'x-amz-meta-evil': '1' } });
    assert.equal(extra.status, 403);
    assert.match(extra.body, /Invalid according to Policy: Extra input fields: x-amz-meta-evil/);
    const otherKey = await upload({ form: { key: 'uploads/item-2/img-9' } });
    assert.equal(otherKey.status, 403);
    assert.match(otherKey.body, /Policy Condition failed: \[&quot;eq&quot;, &quot;\$key&quot;, &quot;uploads\/item-1\/img-1&quot;\]/);
    assert.equal(await exists('uploads/item-2/img-9'), false);
  });

  it('refuses an upload signed by a role without s3:PutObject on the key, and an unknown key id', async () => {
    const denied = await upload({ signer: 'nothing', key: 'uploads/item-1/nothing' });
    assert.equal(denied.status, 403);
    assert.match(denied.body, /<Code>AccessDenied<\/Code><Message>User: arn:aws:sts::000000000000:assumed-role\/s3t-nothingRole\/s3t-local-nothing is not authorized to perform: s3:PutObject on resource: &quot;arn:aws:s3:::s3t-local-images\/uploads\/item-1\/nothing&quot;/);
    assert.ok(lines.some((line) => line === `[iam] DENIED s3t-local-nothing s3:PutObject arn:aws:s3:::${BUCKET}/uploads/item-1/nothing (presigned POST)`), lines.join('\n'));
    const outsidePrefix = await upload({ key: 'images/item-1/sneaky.png' });
    assert.equal(outsidePrefix.status, 403);
    const unknown = await upload({ clientOptions: { credentials: { accessKeyId: 'LOCALFNNOBODY', secretAccessKey: 'x' } } });
    assert.equal(unknown.status, 403);
    assert.match(unknown.body, /<Code>InvalidAccessKeyId<\/Code>/);
    await settle();
    assert.deepEqual(await drainQueue(), []);
  });

  it('refuses anonymous requests', async () => {
    const form = new FormData();
    form.append('key', 'uploads/anon');
    form.append('file', new Blob(['x']));
    assert.equal((await fetch(`${front.endpoint}/${BUCKET}`, { method: 'POST', body: form })).status, 403);
    assert.equal((await fetch(`${front.endpoint}/${BUCKET}/uploads/item-1/img-1`)).status, 403);
    assert.equal((await fetch(`${front.endpoint}/nope/x`)).status, 404);
  });

  it('serves a presigned GET, and refuses it expired or tampered', async () => {
    const url = await getSignedUrl(clientOf('reader'), new GetObjectCommand({ Bucket: BUCKET, Key: 'uploads/item-1/img-1' }), { expiresIn: 900 });
    const ok = await fetch(url);
    assert.equal(ok.status, 200);
    assert.equal((await ok.arrayBuffer()).byteLength, 100);
    const expired = await getSignedUrl(clientOf('reader'), new GetObjectCommand({ Bucket: BUCKET, Key: 'uploads/item-1/img-1' }), { expiresIn: 900, signingDate: new Date(Date.now() - 20 * 60_000) });
    const old = await fetch(expired);
    assert.equal(old.status, 403);
    assert.match(await old.text(), /<Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/);
    const tampered = await fetch(url.replace('uploads/item-1/img-1', 'uploads/item-1/img-2'));
    assert.equal(tampered.status, 403);
    assert.match(await tampered.text(), /SignatureDoesNotMatch/);
    const signer = await getSignedUrl(clientOf('signer'), new GetObjectCommand({ Bucket: BUCKET, Key: 'uploads/item-1/img-1' }), { expiresIn: 900 });
    assert.equal((await fetch(signer)).status, 403, 'the signer\'s role has no s3:GetObject');
  });

  it('checks header-signed SDK calls against the caller\'s role and the bucket policy', async () => {
    await assert.rejects(clientOf('signer').send(new GetObjectCommand({ Bucket: BUCKET, Key: 'uploads/item-1/img-1' })), { name: 'AccessDenied' });
    await admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'forbidden/x', Body: 'x' }));
    await assert.rejects(clientOf('reader').send(new GetObjectCommand({ Bucket: BUCKET, Key: 'forbidden/x' })), (error) => error.name === 'AccessDenied' && /explicit deny in a resource-based policy/.test(error.message));
    const head = await clientOf('reader').send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'uploads/item-1/img-1' }));
    assert.equal(head.ContentLength, 100);
    assert.equal(head.Metadata['correlation-id'], 'corr-1');
    const range = await clientOf('reader').send(new GetObjectCommand({ Bucket: BUCKET, Key: 'uploads/item-1/img-1', Range: 'bytes=0-3' }));
    assert.equal((await range.Body.transformToByteArray()).length, 4);
    await drainQueue();
  });

  it('needs s3:GetObject on the source and s3:PutObject on the target for CopyObject', async () => {
    const copy = { Bucket: BUCKET, Key: 'images/item-1/img-1.png', CopySource: `${BUCKET}/uploads/item-1/img-1` };
    await assert.rejects(clientOf('halfCopier').send(new CopyObjectCommand(copy)), { name: 'AccessDenied' });
    assert.ok(lines.some((line) => line.startsWith('[iam] DENIED s3t-local-halfCopier s3:GetObject')));
    await clientOf('processor').send(new CopyObjectCommand(copy));
    assert.equal(await exists('images/item-1/img-1.png'), true);
    await clientOf('processor').send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'uploads/item-1/img-1' }));
    assert.equal(await exists('uploads/item-1/img-1'), false);
    await assert.rejects(clientOf('reader').send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'images/item-1/img-1.png' })), { name: 'AccessDenied' });
    // images/ is outside the notification's prefix: no event.
    await settle();
    assert.deepEqual(await drainQueue(), []);
  });

  it('notifies a PutObject and a CopyObject into uploads/ with their event names', async () => {
    await admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'images/src', Body: 'abc' }));
    await new S3Client({ endpoint: front.endpoint, region: REGION, forcePathStyle: true, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }).send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'uploads/a b(1).png', Body: 'hello', Metadata: { 'correlation-id': 'corr-put' } }),
    );
    await clientOf('signer').send(new PutObjectCommand({ Bucket: BUCKET, Key: 'uploads/put2', Body: 'x' }));
    await new S3Client({ endpoint: front.endpoint, region: REGION, forcePathStyle: true, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }).send(
      new CopyObjectCommand({ Bucket: BUCKET, Key: 'uploads/copied', CopySource: `${BUCKET}/images/src` }),
    );
    await settle();
    const records = (await drainQueue()).map((message) => message.Records[0]);
    const byKey = Object.fromEntries(records.map((record) => [record.s3.object.key, record.eventName]));
    assert.deepEqual(byKey, { 'uploads/a+b%281%29.png': 'ObjectCreated:Put', 'uploads/put2': 'ObjectCreated:Put', 'uploads/copied': 'ObjectCreated:Copy' });
    assert.equal(records.find((record) => record.s3.object.key === 'uploads/copied').s3.object.size, 3);
    const put = recorder.hops().find((hop) => hop.kind === 's3-notification' && hop.key === 'uploads/a b(1).png');
    assert.equal(put.correlationId, 'corr-put');
  });

  it('answers CORS preflights from the bucket\'s rules', async () => {
    const allowed = await fetch(`${front.endpoint}/${BUCKET}`, { method: 'OPTIONS', headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'http://localhost:5173');
    assert.match(allowed.headers.get('access-control-allow-methods'), /POST/);
    assert.equal(allowed.headers.get('access-control-max-age'), '3600');
    assert.equal(allowed.headers.get('access-control-expose-headers'), 'ETag');
    const refused = await fetch(`${front.endpoint}/${BUCKET}`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(refused.status, 403);
    assert.match(await refused.text(), /CORSResponse: This CORS request is not allowed/);
    const put = await fetch(`${front.endpoint}/${BUCKET}/uploads/x`, { method: 'OPTIONS', headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'PUT' } });
    assert.equal(put.status, 403);
    const { url, fields } = await createPresignedPost(clientOf('signer'), { Bucket: BUCKET, Key: 'uploads/cors', Conditions: [['content-length-range', 1, MAX]] });
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append('file', new Blob(['x']));
    const response = await fetch(url, { method: 'POST', body: form, headers: { origin: 'http://localhost:3000' } });
    assert.equal(response.status, 204);
    assert.equal(response.headers.get('access-control-allow-origin'), 'http://localhost:3000');
    await settle();
    await drainQueue();
  });

  it('encodes event keys as S3 does', () => {
    assert.equal(eventKey('uploads/a b/c+d(1)!.png'), 'uploads/a+b/c%2Bd%281%29%21.png');
  });
});

describe('provisioning a bucket whose destination queue does not let it send', () => {
  it('fails with S3\'s message, as CloudFormation would', async () => {
    const emulator = await startSnsSqs(0);
    try {
      const sqs = new SQSClient(localClientConfig(emulator.endpoint));
      const clients = { dynamodb: new DynamoDBClient(localClientConfig('http://127.0.0.1:9')), sns: new SNSClient(localClientConfig(emulator.endpoint)), sqs, s3: new S3Client({ ...localClientConfig(emulator.endpoint), forcePathStyle: true }) };
      const stack = { name: 's3t', dir: '.', reused: true, compiledDir: '.', template: template({ sourceArn: 'arn:aws:s3:::another-bucket' }) };
      await assert.rejects(provisionStacks([stack], { clients, region: REGION, log: () => {} }), /Unable to validate the following destination configurations .*\n.*s3t-local-uploads: its policy does not allow s3.amazonaws.com sqs:SendMessage with aws:SourceArn arn:aws:s3:::s3t-local-images/);
    } finally {
      await emulator.stop();
    }
  });
});
