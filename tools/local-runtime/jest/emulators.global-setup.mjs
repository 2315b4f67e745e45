// Jest globalSetup: makes sure the local AWS emulators are reachable for the
// run. Endpoints already given in AWS_ENDPOINT_URL_DYNAMODB / _SQS / _SNS are
// used as they are; otherwise DynamoDB Local and fauxqs are started on free
// ports and stopped by the matching teardown.
import { useLocalCredentials } from '../aws.cjs';
import { startTestEmulators } from '../emulators/test-emulators.mjs';

export default async () => {
  useLocalCredentials();
  // Handlers log JSON lines and write metrics; tests that need them set their own level, or
  // POWERTOOLS_METRICS_DISABLED=false before the first handler runs.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const emulators = await startTestEmulators({ dynamodb: !process.env.AWS_ENDPOINT_URL_DYNAMODB, snsSqs: !process.env.AWS_ENDPOINT_URL_SQS });
  Object.assign(process.env, emulators.env);
  globalThis.__testEmulators = emulators;
};
