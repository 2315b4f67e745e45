// DynamoDB Local and the SNS/SQS emulator for a test run: started on free ports,
// described by the AWS_ENDPOINT_URL_* variables the SDK reads, stopped together.
// The jest global setup starts what its environment does not already name, and
// `npm test` starts both once for every suite (tools/ci/run-tests.mjs).
import { freePort } from '../aws.cjs';
import { startDynamoDbLocal } from './dynamodb-local.mjs';
import { startSnsSqs } from './sns-sqs.mjs';

/** @param {import('node:child_process').ChildProcess} child its own process group's leader */
const stopGroup = async (child) => {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(-child.pid, 'SIGTERM');
  await exited;
};

/**
 * @param {{ dynamodb?: boolean, snsSqs?: boolean }} [which] both unless told otherwise
 * @returns {Promise<{ env: Record<string, string>, stop: () => Promise<void> }>}
 */
export const startTestEmulators = async ({ dynamodb = true, snsSqs = true } = {}) => {
  const [table, messaging] = await Promise.all([dynamodb ? startDynamoDbLocal(await freePort()) : undefined, snsSqs ? startSnsSqs(0) : undefined]);
  return {
    env: {
      ...(table && { AWS_ENDPOINT_URL_DYNAMODB: table.endpoint }),
      ...(messaging && { AWS_ENDPOINT_URL_SQS: messaging.endpoint, AWS_ENDPOINT_URL_SNS: messaging.endpoint }),
    },
    stop: async () => {
      await messaging?.stop();
      if (table) await stopGroup(table.process);
    },
  };
};
