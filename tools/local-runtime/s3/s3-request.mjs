// What a path-style S3 REST request asks for, in IAM's terms: its operation,
// bucket and key, and the checks (action on resource) S3 makes for it
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html).
// Only the operations below are read; anything else is not forwarded.

/** @typedef {import('../iam/evaluate.mjs').Check} Check */
/**
 * @typedef {object} S3Request
 * @property {string} operation
 * @property {string} bucket
 * @property {string} key  '' for a bucket-level request
 * @property {string} rawPath  the path as sent (percent-encoded)
 * @property {URLSearchParams} query
 * @property {Check[]} checks
 * @property {boolean} [creates]  a 2xx answer means an object was created (a notification may follow)
 * @property {boolean} [needsBody]  the checks depend on the body (DeleteObjects), which must be read first
 */

export const objectArn = (/** @type {string} */ bucket, /** @type {string} */ key) => `arn:aws:s3:::${bucket}/${key}`;
export const bucketArn = (/** @type {string} */ bucket) => `arn:aws:s3:::${bucket}`;

// Query parameters that do not change which operation a request is.
const PLAIN_PARAMETERS = new Set(['x-id', 'list-type', 'prefix', 'delimiter', 'max-keys', 'continuation-token', 'start-after', 'encoding-type', 'fetch-owner', 'marker', 'uploadId', 'partNumber', 'uploads', 'delete']);
const RESPONSE_OVERRIDES = /^response-(content-type|content-language|expires|cache-control|content-disposition|content-encoding)$/;

/**
 * The bucket, key, path and query of a request's URL (path style: /<bucket>/<key>).
 * @param {string} url
 */
export const splitUrl = (url) => {
  const at = url.indexOf('?');
  const rawPath = at === -1 ? url : url.slice(0, at);
  const query = new URLSearchParams(at === -1 ? '' : url.slice(at + 1));
  const [first = '', ...rest] = rawPath.replace(/^\//, '').split('/');
  /** @param {string} part */
  const decode = (part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return undefined;
    }
  };
  const bucket = decode(first);
  const parts = rest.map(decode);
  const key = parts.some((part) => part === undefined) ? undefined : parts.join('/');
  return { rawPath, query, bucket, key };
};

/**
 * The source of a CopyObject: `x-amz-copy-source: <bucket>/<key>` (URL-encoded, optionally with a leading / and ?versionId=).
 * @param {string} header
 */
export const copySourceOf = (header) => {
  let decoded;
  try {
    decoded = decodeURIComponent(header.split('?')[0] ?? '');
  } catch {
    return undefined;
  }
  const trimmed = decoded.replace(/^\//, '');
  const slash = trimmed.indexOf('/');
  return slash <= 0 ? undefined : { bucket: trimmed.slice(0, slash), key: trimmed.slice(slash + 1) };
};

/**
 * The operation of a path-style request, or why it is not one the front forwards.
 * @param {{ method: string, url: string, headers: Record<string, string | string[] | undefined> }} request
 * @returns {S3Request | { unsupported: string }}
 */
export const readS3Request = ({ method, url, headers }) => {
  const { rawPath, query, bucket, key } = splitUrl(url);
  if (!bucket) return { unsupported: 'a request without a bucket (ListBuckets): no function needs it' };
  if (key === undefined) return { unsupported: 'a path that is not percent-encoded properly' };
  const other = [...query.keys()].filter((name) => !PLAIN_PARAMETERS.has(name) && !RESPONSE_OVERRIDES.test(name) && !name.startsWith('X-Amz-') && !name.startsWith('x-amz-'));
  if (other.length > 0) return { unsupported: `the subresource or parameter ${other.join(', ')}` };
  const base = { bucket, key, rawPath, query };
  /** @param {string} action @param {string} [resource] @returns {Check} */
  const check = (action, resource = objectArn(bucket, key)) => ({ action: `s3:${action}`, resource, context: {} });
  const verb = method.toUpperCase();
  if (!key) {
    if ((verb === 'GET' || verb === 'HEAD') && !query.has('uploads')) {
      const operation = verb === 'HEAD' ? 'HeadBucket' : query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
      return { ...base, operation, checks: [check('ListBucket', bucketArn(bucket))] };
    }
    if (verb === 'POST' && query.has('delete')) return { ...base, operation: 'DeleteObjects', checks: [], needsBody: true };
    return { unsupported: `${verb} on a bucket (only listing, HEAD and DeleteObjects are forwarded; buckets come from the templates)` };
  }
  const copySource = headers['x-amz-copy-source'];
  switch (verb) {
    case 'GET':
    case 'HEAD':
      if (query.has('uploadId') || query.has('uploads')) return { unsupported: 'ListParts / ListMultipartUploads' };
      return { ...base, operation: verb === 'GET' ? 'GetObject' : 'HeadObject', checks: [check('GetObject')] };
    case 'PUT': {
      if (typeof copySource === 'string') {
        if (query.has('uploadId')) return { unsupported: 'UploadPartCopy' };
        const source = copySourceOf(copySource);
        if (!source) return { unsupported: `an x-amz-copy-source that is not <bucket>/<key>: ${copySource}` };
        return { ...base, operation: 'CopyObject', checks: [check('GetObject', objectArn(source.bucket, source.key)), check('PutObject')], creates: true };
      }
      if (query.has('uploadId') || query.has('partNumber')) return { ...base, operation: 'UploadPart', checks: [check('PutObject')] };
      return { ...base, operation: 'PutObject', checks: [check('PutObject')], creates: true };
    }
    case 'POST':
      if (query.has('uploads')) return { ...base, operation: 'CreateMultipartUpload', checks: [check('PutObject')] };
      if (query.has('uploadId')) return { ...base, operation: 'CompleteMultipartUpload', checks: [check('PutObject')], creates: true };
      return { unsupported: 'a POST to an object that is neither CreateMultipartUpload nor CompleteMultipartUpload' };
    case 'DELETE':
      if (query.has('uploadId')) return { ...base, operation: 'AbortMultipartUpload', checks: [check('AbortMultipartUpload')] };
      return { ...base, operation: 'DeleteObject', checks: [check('DeleteObject')] };
    default:
      return { unsupported: `the method ${verb}` };
  }
};

/**
 * The keys a DeleteObjects body names (`<Delete><Object><Key>…</Key></Object>…</Delete>`), each needing s3:DeleteObject.
 * @param {string} xml
 */
export const deleteObjectsKeys = (xml) =>
  [...xml.matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((match) =>
    (match[1] ?? '').replace(/&(lt|gt|amp|apos|quot|#\d+|#x[0-9a-f]+);/gi, (entity, name) => {
      const named = /** @type {Record<string, string>} */ ({ lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' })[name.toLowerCase()];
      if (named) return named;
      const code = name.toLowerCase().startsWith('#x') ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : entity;
    }),
  );
