// tools/ci/remove-preview.mjs, which removes a preview stage's stack of one
// service together with the tables, queues and secrets the stack retains:
// it refuses any stage but pr-<number> before it touches anything, and
// deletes only that stage's names. The deletion runs against moto's server
// (DynamoDB, SQS, Secrets Manager, CloudFormation), started on a free port.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateSecretCommand, ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateBucketCommand, ListBucketsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort } from '@platform/local-runtime/aws';
import { PREVIEW_STAGE, assertPreviewStage, retainedOf } from '../remove-preview.mjs';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), '../remove-preview.mjs');
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' };

describe('remove-preview refuses every stage but a preview stage', () => {
  for (const stage of ['staging', 'production', 'dev', 'pr-', 'pr-12a', 'pr-1-feature', 'xpr-1', 'PR-1', '']) {
    it(`refuses "${stage}"`, () => {
      assert.throws(() => assertPreviewStage(stage), /only preview stages \(pr-<number>\) may lose their retained tables and queues/);
    });
  }

  it('exits 1 before it asks AWS anything', () => {
    for (const stage of ['production', 'pr-1-feature']) {
      const run = spawnSync(process.execPath, [SCRIPT, '--stage', stage, '--service', 'items-api'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
      assert.equal(run.status, 1);
      assert.equal(run.stderr, `remove-preview: refusing to remove stage "${stage}": only preview stages (pr-<number>) may lose their retained tables and queues\n`);
    }
  });

  it('takes pr-<number>', () => {
    assert.match('pr-1234', PREVIEW_STAGE);
    assert.doesNotThrow(() => assertPreviewStage('pr-7'));
  });

  it('picks only the service’s names on that stage: not pr-42’s for pr-4, not another service’s, not staging’s', () => {
    const found = retainedOf({
      service: 'items-api',
      stage: 'pr-4',
      tables: ['items-api-pr-4-items', 'items-api-pr-42-items', 'items-api-staging-items', 'notifier-pr-4-notifications'],
      queueUrls: ['http://sqs/1/items-api-pr-4-order-placed-dlq', 'http://sqs/1/items-api-pr-42-order-placed-dlq', 'http://sqs/1/xitems-api-pr-4-dlq'],
      secrets: ['items-api/pr-4/cursor-secret', 'items-api/pr-42/cursor-secret', 'items-api/production/cursor-secret'],
      buckets: ['items-api-pr-4-images-123456789012-us-east-1', 'items-api-pr-42-images-123456789012-us-east-1', 'items-api-staging-images-123456789012-us-east-1'],
    });
    assert.deepEqual(found, {
      tables: ['items-api-pr-4-items'],
      queueUrls: ['http://sqs/1/items-api-pr-4-order-placed-dlq'],
      secrets: ['items-api/pr-4/cursor-secret'],
      buckets: ['items-api-pr-4-images-123456789012-us-east-1'],
    });
  });
});

describe('remove-preview on moto', () => {
  /** @type {import('node:child_process').ChildProcess} */
  let moto;
  /** @type {string} */
  let endpoint;
  before(async () => {
    const port = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        if ((await fetch(`${endpoint}/moto-api/`)).ok) break;
      } catch {
        if (Date.now() > deadline) throw new Error("moto's server did not start: pip install 'moto[server]==5.2.1'");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  });
  after(() => moto?.kill());

  it('deletes the retained tables, queues, secrets and buckets (emptied) of the stage that has no stack any more, and nothing else', async () => {
    const config = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
    const dynamodb = new DynamoDBClient(config);
    const sqs = new SQSClient(config);
    const secrets = new SecretsManagerClient(config);
    const tables = ['items-api-pr-4-items', 'items-api-pr-42-items', 'items-api-staging-items'];
    const queues = ['items-api-pr-4-order-placed-dlq', 'items-api-pr-4-domain-events-relay-dlq', 'items-api-pr-42-order-placed-dlq'];
    const names = ['items-api/pr-4/cursor-secret', 'items-api/staging/cursor-secret'];
    for (const TableName of tables) {
      await dynamodb.send(new CreateTableCommand({ TableName, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] }));
    }
    for (const QueueName of queues) await sqs.send(new CreateQueueCommand({ QueueName }));
    for (const Name of names) await secrets.send(new CreateSecretCommand({ Name, SecretString: 'x' }));
    const s3 = new S3Client(config);
    const buckets = ['items-api-pr-4-images-123456789012-us-east-1', 'items-api-pr-42-images-123456789012-us-east-1'];
    for (const Bucket of buckets) {
      await s3.send(new CreateBucketCommand({ Bucket }));
      await s3.send(new PutObjectCommand({ Bucket, Key: 'images/item-1/a.png', Body: 'png' }));
    }

    const run = spawnSync(process.execPath, [SCRIPT, '--stage', 'pr-4', '--service', 'items-api'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...CREDENTIALS, AWS_ENDPOINT_URL: endpoint } });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.deepEqual(lines.filter((line) => line.startsWith('deleted')).sort(), [
      'deleted bucket items-api-pr-4-images-123456789012-us-east-1 and its 1 object version(s)',
      'deleted queue items-api-pr-4-domain-events-relay-dlq',
      'deleted queue items-api-pr-4-order-placed-dlq',
      'deleted secret items-api/pr-4/cursor-secret',
      'deleted table items-api-pr-4-items',
    ]);
    assert.equal(lines[0], 'stack items-api-pr-4 does not exist: only its retained resources, if any, are left');
    assert.equal(lines.at(-1), 'items-api-pr-4: no stack; 5 retained resource(s) deleted');

    assert.deepEqual((await dynamodb.send(new ListTablesCommand({}))).TableNames?.sort(), ['items-api-pr-42-items', 'items-api-staging-items']);
    assert.deepEqual((await sqs.send(new ListQueuesCommand({}))).QueueUrls?.map((url) => url.split('/').pop()), ['items-api-pr-42-order-placed-dlq']);
    const left = (await secrets.send(new ListSecretsCommand({}))).SecretList?.map((secret) => secret.Name);
    assert.deepEqual(left, ['items-api/staging/cursor-secret']);
    assert.deepEqual((await s3.send(new ListBucketsCommand({}))).Buckets?.map((bucket) => bucket.Name), ['items-api-pr-42-images-123456789012-us-east-1']);
    for (const client of [dynamodb, sqs, secrets, s3]) client.destroy();
  });
});
