// SigV4 as S3 checks it on what a client brings without a header signature:
// the presigned POST (the hex HMAC of the base64 policy, with the signing key
// of the X-Amz-Credential's secret, date, region and service) and the presigned
// URL (X-Amz-* query parameters over a canonical request whose payload is
// UNSIGNED-PAYLOAD). https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-authentication-HTTPPOST.html
// and https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** @param {Buffer | string} key @param {string} data */
const hmac = (key, data) => createHmac('sha256', key).update(data, 'utf8').digest();

/** The SigV4 signing key. @param {string} secret @param {string} date YYYYMMDD @param {string} region @param {string} service */
export const signingKey = (secret, date, region, service) => hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');

/**
 * `AKID/20260101/us-east-1/s3/aws4_request`, or undefined when it is not that shape.
 * @param {string | undefined} credential
 */
export const parseCredential = (credential) => {
  const parts = (credential ?? '').split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request' || !/^\d{8}$/.test(parts[1] ?? '')) return undefined;
  const [accessKeyId = '', date = '', region = '', service = ''] = parts;
  return { accessKeyId, date, region, service, scope: parts.slice(1).join('/') };
};

/** Whether two hex signatures are the same, in constant time. @param {string} expected @param {string} provided */
export const sameSignature = (expected, provided) => {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(provided, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
};

/** The signature of a presigned POST's policy. @param {string} secret @param {NonNullable<ReturnType<typeof parseCredential>>} credential @param {string} policyBase64 */
export const postSignature = (secret, credential, policyBase64) =>
  createHmac('sha256', signingKey(secret, credential.date, credential.region, credential.service)).update(policyBase64, 'utf8').digest('hex');

/** RFC 3986 encoding, as SigV4 wants it. @param {string} value */
const uriEncode = (value) => encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);

/** `20260101T000000Z` as a Date, or undefined. @param {string} value */
export const parseAmzDate = (value) => {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return match ? new Date(Date.UTC(+(match[1] ?? 0), +(match[2] ?? 1) - 1, +(match[3] ?? 1), +(match[4] ?? 0), +(match[5] ?? 0), +(match[6] ?? 0))) : undefined;
};

/**
 * What a presigned URL's X-Amz-* parameters say, or why they cannot be read
 * (S3's AuthorizationQueryParametersError).
 * @param {URLSearchParams} query
 * @returns {{ error: string } | { credential: NonNullable<ReturnType<typeof parseCredential>>, signedAt: Date, expiresSeconds: number, signedHeaders: string[], signature: string, amzDate: string }}
 */
export const readPresignedQuery = (query) => {
  if (query.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') return { error: 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"' };
  const credential = parseCredential(query.get('X-Amz-Credential') ?? undefined);
  if (!credential) return { error: 'Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".' };
  const amzDate = query.get('X-Amz-Date') ?? '';
  const signedAt = parseAmzDate(amzDate);
  if (!signedAt) return { error: 'X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"' };
  const expiresSeconds = Number(query.get('X-Amz-Expires'));
  if (!Number.isInteger(expiresSeconds) || expiresSeconds < 0) return { error: 'X-Amz-Expires should be a number' };
  if (expiresSeconds > 604800) return { error: 'X-Amz-Expires must be less than a week (in seconds) that is 604800' };
  const signedHeaders = (query.get('X-Amz-SignedHeaders') ?? '').split(';').filter(Boolean);
  const signature = query.get('X-Amz-Signature') ?? '';
  if (signedHeaders.length === 0 || !signature) return { error: 'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.' };
  return { credential, signedAt, expiresSeconds, signedHeaders, signature, amzDate };
};

/**
 * The signature S3 computes for a presigned URL request: the canonical request
 * of its method, path as sent, query without X-Amz-Signature, the signed
 * headers' values, and UNSIGNED-PAYLOAD.
 * @param {{ method: string, rawPath: string, query: URLSearchParams, headers: Record<string, string | string[] | undefined>, secret: string }} request
 * @param {Exclude<ReturnType<typeof readPresignedQuery>, { error: string }>} presigned
 */
export const presignedUrlSignature = ({ method, rawPath, query, headers, secret }, presigned) => {
  const pairs = [...query.entries()].filter(([name]) => name !== 'X-Amz-Signature').map(([name, value]) => [uriEncode(name), uriEncode(value)]);
  pairs.sort(([a = '', av = ''], [b = '', bv = '']) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  const canonicalHeaders = presigned.signedHeaders.map((name) => {
    const value = headers[name];
    return `${name}:${[value ?? ''].flat().join(',').trim().replace(/\s+/g, ' ')}\n`;
  });
  const payload = query.get('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD';
  const canonicalRequest = [method, rawPath, pairs.map(([name, value]) => `${name}=${value}`).join('&'), canonicalHeaders.join(''), presigned.signedHeaders.join(';'), payload].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', presigned.amzDate, presigned.credential.scope, createHash('sha256').update(canonicalRequest, 'utf8').digest('hex')].join('\n');
  const { date, region, service } = presigned.credential;
  return { signature: createHmac('sha256', signingKey(secret, date, region, service)).update(stringToSign, 'utf8').digest('hex'), stringToSign, canonicalRequest };
};
