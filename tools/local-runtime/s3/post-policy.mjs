// A presigned POST's policy, checked as S3 checks it
// (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html):
// its expiration; each condition (`{"field": "value"}` and ["eq", "$field", v]
// exact matches, ["starts-with", "$field", prefix], ["content-length-range", min, max]);
// and every form field but x-amz-signature, file, policy and x-ignore-* must be
// named by a condition. Field names compare without regard to case, values exactly.
// The size condition is checked once the file has been read (fileSizeRefusal).
import { s3Error } from './errors.mjs';

/** @typedef {import('./errors.mjs').S3Refusal} S3Refusal */
/** @typedef {{ expiration?: string, conditions?: unknown[] }} Policy */

const UNCOVERED = new Set(['x-amz-signature', 'file', 'policy']);

/** @param {string} why */
const invalid = (why) => s3Error('AccessDenied', `Invalid according to Policy: ${why}`);

/** S3's spelling of a condition in its refusal. @param {unknown} condition */
const spelled = (condition) => (Array.isArray(condition) ? `[${condition.map((part) => JSON.stringify(part)).join(', ')}]` : JSON.stringify(condition));

/**
 * The policy of a base64 `Policy` field, or S3's refusal of it.
 * @param {string} base64 @returns {{ policy: Policy } | { refused: S3Refusal }}
 */
export const decodePolicy = (base64) => {
  try {
    const policy = JSON.parse(Buffer.from(base64, 'base64').toString('utf8'));
    if (!policy || typeof policy !== 'object' || Array.isArray(policy)) throw new Error('not an object');
    if (typeof policy.expiration !== 'string') return { refused: s3Error('InvalidPolicyDocument', 'Invalid Policy: Policy missing expiration.') };
    if (!Array.isArray(policy.conditions)) return { refused: s3Error('InvalidPolicyDocument', 'Invalid Policy: Policy missing conditions.') };
    return { policy };
  } catch {
    return { refused: s3Error('InvalidPolicyDocument', 'Invalid Policy: Invalid JSON.') };
  }
};

/**
 * What the policy says of the form: a refusal (expired, a condition failed, an
 * extra field), or the size range the file must be in.
 * @param {Policy} policy
 * @param {{ fields: Map<string, string>, bucket: string, now?: number }} form  fields by lower-case name; `bucket`: the URL's
 * @returns {{ refused: S3Refusal } | { sizeRange: { min: number, max: number } | undefined }}
 */
export const checkPolicy = (policy, { fields, bucket, now = Date.now() }) => {
  const expiration = Date.parse(String(policy.expiration));
  if (Number.isNaN(expiration)) return { refused: s3Error('InvalidPolicyDocument', 'Invalid Policy: Invalid \'expiration\' value: ' + String(policy.expiration)) };
  if (now >= expiration) return { refused: invalid('Policy expired.') };
  /** The value S3 compares: the URL's bucket for `bucket`, a form field otherwise. @param {string} name */
  const valueOf = (name) => (name.toLowerCase() === 'bucket' ? bucket : fields.get(name.toLowerCase()));
  /** @type {Set<string>} */
  const covered = new Set();
  /** @type {{ min: number, max: number } | undefined} */
  let sizeRange;
  for (const condition of policy.conditions ?? []) {
    if (Array.isArray(condition)) {
      const [operator, field, value] = condition;
      const op = String(operator).toLowerCase();
      if (op === 'content-length-range') {
        const [min, max] = [Number(field), Number(value)];
        if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < min) return { refused: s3Error('InvalidPolicyDocument', `Invalid Policy: Invalid content-length-range condition: ${spelled(condition)}`) };
        sizeRange = { min, max };
        continue;
      }
      if ((op !== 'eq' && op !== 'starts-with') || typeof field !== 'string' || !field.startsWith('$') || typeof value !== 'string') {
        return { refused: s3Error('InvalidPolicyDocument', `Invalid Policy: Invalid Condition: ${spelled(condition)}`) };
      }
      const name = field.slice(1);
      covered.add(name.toLowerCase());
      const actual = valueOf(name);
      const holds = actual !== undefined && (op === 'eq' ? actual === value : actual.startsWith(value));
      if (!holds) return { refused: invalid(`Policy Condition failed: ${spelled(condition)}`) };
      continue;
    }
    if (condition && typeof condition === 'object') {
      for (const [name, value] of Object.entries(condition)) {
        covered.add(name.toLowerCase());
        if (valueOf(name) !== String(value)) return { refused: invalid(`Policy Condition failed: ${spelled(['eq', `$${name}`, value])}`) };
      }
      continue;
    }
    return { refused: s3Error('InvalidPolicyDocument', `Invalid Policy: Invalid Condition: ${spelled(condition)}`) };
  }
  const extra = [...fields.keys()].filter((name) => !UNCOVERED.has(name) && !name.startsWith('x-ignore-') && !covered.has(name));
  if (extra.length > 0) return { refused: invalid(`Extra input fields: ${extra.join(', ')}`) };
  return { sizeRange };
};

/**
 * The refusal of a file outside the policy's content-length-range, as S3 words it.
 * @param {number} size @param {{ min: number, max: number } | undefined} range
 */
export const fileSizeRefusal = (size, range) => {
  if (!range) return undefined;
  if (size > range.max) return s3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', { ProposedSize: size, MaxSizeAllowed: range.max });
  if (size < range.min) return s3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size', { ProposedSize: size, MinSizeAllowed: range.min });
  return undefined;
};
