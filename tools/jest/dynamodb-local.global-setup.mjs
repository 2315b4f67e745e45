// Jest globalSetup: makes sure DynamoDB Local is reachable for the run. An
// endpoint given in AWS_ENDPOINT_URL_DYNAMODB is used as it is; otherwise one
// is started on a free port and stopped by the matching teardown.
import net from 'node:net';
import { startDynamoDbLocal } from '../local/lib/dynamodb-local.mjs';

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

export default async () => {
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  if (process.env.AWS_ENDPOINT_URL_DYNAMODB) return;
  const { endpoint, process: jvm } = await startDynamoDbLocal(await freePort());
  process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint;
  globalThis.__dynamodbLocal = jvm;
};
