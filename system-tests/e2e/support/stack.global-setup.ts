import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLocalStack } from '@platform/local-stack/process';

/**
 * One local stack for every e2e file: started as `npm start` starts it (on
 * free ports), with failed SQS records retried after 1 s instead of the 36 s
 * visibility timeout. Test files find it through E2E_* variables, and its
 * whole output (every service's log lines) in E2E_STACK_LOG.
 */
export default async () => {
  const stack = await startLocalStack({ env: { LOCAL_SQS_RETRY_SECONDS: '1' } });
  const log = path.join(os.tmpdir(), `e2e-stack-${process.pid}.log`);
  const flush = () => writeFileSync(log, stack.output());
  const timer = setInterval(flush, 250);
  flush();
  Object.assign(process.env, {
    E2E_API_URL: stack.apiUrl,
    E2E_DYNAMODB_ENDPOINT: stack.dynamodbEndpoint,
    E2E_SNS_SQS_ENDPOINT: stack.snsSqsEndpoint,
    E2E_S3_ENDPOINT: stack.s3Endpoint,
    E2E_STACK_LOG: log,
  });
  (globalThis as Record<string, unknown>).__e2eStack = { stack, timer, flush };
};
