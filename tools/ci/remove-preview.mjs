#!/usr/bin/env node
// Removes one service's stack of a preview stage, and what the stack keeps on
// removal: its tables, queues (the DLQs), secrets and buckets, which carry
// DeletionPolicy Retain so that no deploy or removal of a real stage ever
// loses their data. A preview stage's data is throw-away, and a retained table
// left behind would stop the next deploy of the same stage (a reopened pull
// request). So this refuses any stage that is not a preview stage, `pr-<number>`:
//   node tools/ci/remove-preview.mjs --stage pr-42 --service items-api [--dry-run]
// 1. `serverless remove --stage <stage>` in services/<service>, when its stack exists;
// 2. then deletes every DynamoDB table, SQS queue and S3 bucket (emptied first) named
//    `<service>-<stage>-…` and every secret named `<service>/<stage>/…`: the stage's naming rule, so
//    after the removal these are exactly the resources the stack retained
//    (and never another stage's: `items-api-pr-4-` is not a prefix of `items-api-pr-42-`).
// The pull-request workflow runs it, per service, with that team's preview role
// (infra/bootstrap), which may delete only `<service>-pr-*` names.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The only stages this may delete data of. */
export const PREVIEW_STAGE = /^pr-\d+$/;

/** @param {string} stage */
export const assertPreviewStage = (stage) => {
  if (!PREVIEW_STAGE.test(stage)) throw new Error(`refusing to remove stage "${stage}": only preview stages (pr-<number>) may lose their retained tables and queues`);
};

/**
 * What of these names belongs to `service` on the preview `stage`.
 * @param {{ service: string, stage: string, tables: string[], queueUrls: string[], secrets: string[], buckets?: string[] }} found
 */
export const retainedOf = ({ service, stage, tables, queueUrls, secrets, buckets = [] }) => {
  assertPreviewStage(stage);
  const prefix = `${service}-${stage}-`;
  return {
    tables: tables.filter((name) => name.startsWith(prefix)),
    queueUrls: queueUrls.filter((url) => (url.split('/').pop() ?? '').startsWith(prefix)),
    secrets: secrets.filter((name) => name.startsWith(`${service}/${stage}/`)),
    buckets: buckets.filter((name) => name.startsWith(prefix)),
  };
};

const main = async () => {
  const { values } = parseArgs({ options: { stage: { type: 'string' }, service: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } } });
  const stage = values.stage ?? '';
  const service = values.service ?? '';
  assertPreviewStage(stage);
  if (!existsSync(path.join(ROOT, 'services', service, 'serverless.yml'))) throw new Error(`no service "${service}" (services/<service>/serverless.yml)`);
  const dryRun = values['dry-run'];
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const { DynamoDBClient, DeleteTableCommand, paginateListTables } = await import('@aws-sdk/client-dynamodb');
  const { SQSClient, DeleteQueueCommand, ListQueuesCommand } = await import('@aws-sdk/client-sqs');
  const { SecretsManagerClient, DeleteSecretCommand, paginateListSecrets } = await import('@aws-sdk/client-secrets-manager');
  const { S3Client, DeleteBucketCommand, DeleteObjectsCommand, ListBucketsCommand, ListObjectVersionsCommand } = await import('@aws-sdk/client-s3');
  const stackName = `${service}-${stage}`;

  const cloudFormation = new CloudFormationClient({});
  const stackExists = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName })).then(
    () => true,
    (error) => {
      if (/does not exist/.test(error.message)) return false;
      throw error;
    },
  );
  if (stackExists) {
    console.log(`${dryRun ? '[dry run] would remove' : 'removing'} stack ${stackName}`);
    if (!dryRun) {
      const remove = spawnSync(path.join(ROOT, 'node_modules/.bin/serverless'), ['remove', '--stage', stage, '--verbose'], { cwd: path.join(ROOT, 'services', service), stdio: 'inherit' });
      if (remove.status !== 0) throw new Error(`serverless remove of ${stackName} failed (exit ${remove.status})`);
    }
  } else {
    console.log(`stack ${stackName} does not exist: only its retained resources, if any, are left`);
  }

  const dynamodb = new DynamoDBClient({});
  const sqs = new SQSClient({});
  const secretsManager = new SecretsManagerClient({});
  /** @type {string[]} */
  const tables = [];
  for await (const page of paginateListTables({ client: dynamodb }, {})) tables.push(...(page.TableNames ?? []));
  /** @type {string[]} */
  const queueUrls = [];
  /** @type {string | undefined} */
  let next;
  do {
    /** @type {import('@aws-sdk/client-sqs').ListQueuesCommandOutput} */
    const page = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: `${service}-${stage}-`, NextToken: next, MaxResults: 1000 }));
    queueUrls.push(...(page.QueueUrls ?? []));
    next = page.NextToken;
  } while (next);
  /** @type {string[]} */
  const secrets = [];
  for await (const page of paginateListSecrets({ client: secretsManager }, { Filters: [{ Key: 'name', Values: [`${service}/${stage}/`] }] })) {
    secrets.push(...(page.SecretList ?? []).map((secret) => secret.Name ?? ''));
  }
  const s3 = new S3Client({});
  const buckets = ((await s3.send(new ListBucketsCommand({ Prefix: `${service}-${stage}-` }))).Buckets ?? []).map((bucket) => bucket.Name ?? '');
  const retained = retainedOf({ service, stage, tables, queueUrls, secrets, buckets });
  const verb = dryRun ? '[dry run] would delete' : 'deleted';
  for (const name of retained.tables) {
    if (!dryRun) await dynamodb.send(new DeleteTableCommand({ TableName: name }));
    console.log(`${verb} table ${name}`);
  }
  for (const url of retained.queueUrls) {
    if (!dryRun) await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
    console.log(`${verb} queue ${url.split('/').pop()}`);
  }
  for (const name of retained.secrets) {
    if (!dryRun) await secretsManager.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
    console.log(`${verb} secret ${name}`);
  }
  for (const name of retained.buckets) {
    // A bucket must be empty to go: every object version and delete marker first, 1,000 at a time.
    let objects = 0;
    for (;;) {
      const page = await s3.send(new ListObjectVersionsCommand({ Bucket: name, MaxKeys: 1000 }));
      const keys = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map(({ Key, VersionId }) => ({ Key, VersionId }));
      if (keys.length === 0) break;
      objects += keys.length;
      if (dryRun) break;
      await s3.send(new DeleteObjectsCommand({ Bucket: name, Delete: { Objects: keys, Quiet: true } }));
    }
    if (!dryRun) await s3.send(new DeleteBucketCommand({ Bucket: name }));
    console.log(`${verb} bucket ${name}${dryRun ? ` (${objects > 0 ? 'not empty' : 'empty'})` : ` and its ${objects} object version(s)`}`);
  }
  const count = retained.tables.length + retained.queueUrls.length + retained.secrets.length + retained.buckets.length;
  console.log(`${stackName}: ${stackExists ? 'stack removed' : 'no stack'}; ${count} retained resource(s) ${dryRun ? 'to delete' : 'deleted'}`);
};

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((error) => {
    console.error(`remove-preview: ${error.message}`);
    process.exit(1);
  });
}
