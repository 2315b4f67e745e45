// Jest globalSetup: makes sure the local AWS emulators are reachable for the
// run. Endpoints already given in AWS_ENDPOINT_URL_DYNAMODB / _SQS / _SNS are
// used as they are; otherwise DynamoDB Local and fauxqs are started on free
// ports and stopped by the matching teardown.
import { freePort, useLocalCredentials } from '../aws.cjs';
import { startDynamoDbLocal } from '../emulators/dynamodb-local.mjs';
import { startSnsSqs } from '../emulators/sns-sqs.mjs';

export default async () => {
  useLocalCredentials();
  // Handlers log JSON lines and write metrics; tests that need them set their own level, or
  // POWERTOOLS_METRICS_DISABLED=false before the first handler runs.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  if (!process.env.AWS_ENDPOINT_URL_DYNAMODB) {
    const { endpoint, process: jvm } = await startDynamoDbLocal(await freePort());
    process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint;
    globalThis.__dynamodbLocal = jvm;
  }
  if (!process.env.AWS_ENDPOINT_URL_SQS) {
    const snsSqs = await startSnsSqs(0);
    process.env.AWS_ENDPOINT_URL_SQS = snsSqs.endpoint;
    process.env.AWS_ENDPOINT_URL_SNS = snsSqs.endpoint;
    globalThis.__snsSqs = snsSqs;
  }
};
