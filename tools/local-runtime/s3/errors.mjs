// S3's error answers: `<Error><Code>…</Code><Message>…</Message>…</Error>` with
// the status S3 uses for the code, a request id, and the extra elements S3 adds
// for some codes (ProposedSize and MaxSizeAllowed for EntityTooLarge, …).
import { randomBytes } from 'node:crypto';

/** @typedef {{ status: number, headers: Record<string, string>, body: string, code: string, message: string }} S3Refusal */

/** @param {string} text */
export const xmlEscape = (text) => text.replace(/[<>&'"]/g, (char) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[char] ?? char);

/** S3's status for each code the front answers. @type {Record<string, number>} */
const STATUS = {
  AccessDenied: 403,
  InvalidAccessKeyId: 403,
  SignatureDoesNotMatch: 403,
  AccessForbidden: 403,
  EntityTooLarge: 400,
  EntityTooSmall: 400,
  InvalidArgument: 400,
  InvalidPolicyDocument: 400,
  MalformedPOSTRequest: 400,
  AuthorizationQueryParametersError: 400,
  MaxMessageLengthExceeded: 400,
  NoSuchBucket: 404,
  NotImplemented: 501,
};

export const requestId = () => randomBytes(8).toString('hex').toUpperCase();

/**
 * @param {string} code @param {string} message @param {Record<string, string | number>} [extra] more elements, in sequence
 * @returns {S3Refusal}
 */
export const s3Error = (code, message, extra = {}) => {
  const id = requestId();
  const hostId = randomBytes(32).toString('base64');
  const elements = Object.entries(extra).map(([name, value]) => `<${name}>${xmlEscape(String(value))}</${name}>`).join('');
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message>${elements}<RequestId>${id}</RequestId><HostId>${hostId}</HostId></Error>`;
  return { status: STATUS[code] ?? 400, headers: { 'content-type': 'application/xml', 'x-amz-request-id': id, 'x-amz-id-2': hostId }, body, code, message };
};
