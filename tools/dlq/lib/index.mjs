// The DLQ operations without the CLI, for anything else that needs them
// (a web console's Redrive and Purge buttons): make a Target, then call the
// operations; every expected failure is a DlqError with a one-line message
// and a `code`, and explainAwsError turns the SDK's into one.
export { DlqError, explainAwsError } from './errors.mjs';
export { LOCAL_STAGE, awsTarget, createTarget, describeRegion, discoverServices, localTarget } from './target.mjs';
export { discoverQueues, requireQueues, resolveDeadLetterQueue } from './queues.mjs';
export {
  PEEK_VISIBILITY_SECONDS,
  assertPurgeAllowed,
  describeMessage,
  findDeadLetterQueue,
  isProductionStage,
  listDeadLetterQueues,
  peekMessages,
  purge,
  redrive,
} from './operations.mjs';
