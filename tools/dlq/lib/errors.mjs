// Expected failures of a DLQ operation: each says in one line what is wrong
// and what to do, and changes nothing. Anything else is a bug.

/** A failure the caller can act on; `code` lets a web console react without parsing the text. */
export class DlqError extends Error {
  /**
   * @param {string} message one line, no stack trace needed to understand it
   * @param {string} [code]
   */
  constructor(message, code = 'DLQ_ERROR') {
    super(message);
    this.name = 'DlqError';
    this.code = code;
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);
const CREDENTIAL_ERRORS = new Set([
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
]);
const PERMISSION_ERRORS = new Set(['AccessDenied', 'AccessDeniedException', 'InvalidSecurity', 'KMS.AccessDeniedException']);
const MISSING_QUEUE_ERRORS = new Set(['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'ResourceNotFoundException']);

/** @param {any} error @returns {string | undefined} */
const networkCode = (error) => {
  for (const candidate of [error, error?.cause, ...(Array.isArray(error?.errors) ? error.errors : [])]) {
    if (candidate && NETWORK_CODES.has(candidate.code)) return candidate.code;
  }
  if (error?.name === 'TimeoutError' || /socket hang up|timed? ?out/i.test(String(error?.message))) return 'timeout';
  return undefined;
};

/** @param {unknown} text */
const oneLine = (text) => String(text ?? '').replace(/\s+/g, ' ').trim();

/**
 * Turns what the AWS SDK throws into a DlqError when the cause is one an
 * operator can fix (credentials, region, network, a missing queue, an AWS
 * refusal); undefined for anything else.
 * @param {any} error
 * @param {{ kind: 'local' | 'aws', stage: string, where: string, endpoint?: string }} target
 * @returns {DlqError | undefined}
 */
export const explainAwsError = (error, target) => {
  if (error instanceof DlqError) return error;
  const name = String(error?.name ?? error?.Code ?? '');
  const message = oneLine(error?.message);
  if (name === 'CredentialsProviderError' || /Could not load credentials|credential.*(missing|not found)/i.test(message)) {
    return new DlqError(
      `no AWS credentials found for stage ${target.stage}: set AWS_PROFILE (after \`aws sso login\`) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`,
      'NO_CREDENTIALS',
    );
  }
  if (/Region is missing/i.test(message)) return new DlqError('no AWS region: pass --region or set AWS_REGION (or a region in your AWS profile)', 'NO_REGION');
  const network = networkCode(error);
  if (network) {
    return target.kind === 'local'
      ? new DlqError(
          `cannot reach the local SNS/SQS emulator at ${target.endpoint} (${network}): start the local stack with \`npm start\` (or set SNS_SQS_PORT to its port)`,
          'UNREACHABLE',
        )
      : new DlqError(`cannot reach SQS for ${target.where} (${network}): check your network and region`, 'UNREACHABLE');
  }
  if (CREDENTIAL_ERRORS.has(name)) return new DlqError(`AWS refused the credentials for ${target.where} (${name}): ${message}`, 'BAD_CREDENTIALS');
  if (PERMISSION_ERRORS.has(name)) return new DlqError(`not allowed on ${target.where} (${name}): ${message}`, 'ACCESS_DENIED');
  if (MISSING_QUEUE_ERRORS.has(name)) return new DlqError(`the queue does not exist (any more) on ${target.where}: ${message}`, 'NO_SUCH_QUEUE');
  if (name === 'PurgeQueueInProgress' || name === 'AWS.SimpleQueueService.PurgeQueueInProgress') {
    return new DlqError(`a purge of this queue is already in progress (SQS allows one every 60 s): ${message}`, 'PURGE_IN_PROGRESS');
  }
  // Any other answer from SQS itself (it has request metadata): the service said no, in its own words.
  if (error?.$metadata?.httpStatusCode) return new DlqError(`SQS answered ${name || 'an error'} on ${target.where}: ${message}`, 'SQS_ERROR');
  return undefined;
};
