// The local S3 front, on 127.0.0.1:S3_PORT: every S3 request of the local
// stack (the functions' SDK calls, and the presigned POSTs and URLs clients
// bring) goes through it to fauxqs's S3, which checks nothing itself. It
// answers in S3's XML error shape what S3 would refuse, and forwards only what
// it read and allowed:
//   - a presigned POST (multipart/form-data to /<bucket>): the policy's
//     signature (the signer's own secret), expiry, every condition, no field
//     outside them, content-length-range once the file is read (never buffered
//     past a hard cap), then s3:PutObject on the key for the signer's role;
//   - a presigned GET/HEAD URL: its expiry and signature, then IAM;
//   - a header-signed SDK call: its operation (s3-request.mjs) and IAM for its
//     checks (the signature itself is not verified, as the DynamoDB/SNS/SQS
//     proxies do not verify theirs); the admin key (LOCAL_CREDENTIALS) passes unchecked;
//   - nothing anonymous (Block Public Access is on and nothing is public);
//   - the bucket policy of the template besides the role's (an explicit Deny
//     wins); loopback HTTP counts as aws:SecureTransport true: there is no TLS locally;
//   - CORS preflights and headers from the bucket's CorsConfiguration.
// After fauxqs answers 2xx to an object-creating request, each matching queue
// notification of the bucket gets S3's event (notifications.mjs), sent through
// fauxqs's SQS with the admin key, for the stack's SQS pollers to deliver.
// Each request answered is recorded (kind 's3'), and each notification sent
// (kind 's3-notification'), for the local console.
// LOCAL_IAM=off: roles and bucket policies are not evaluated; signatures, the
// POST policy, CORS and notifications still are.
// busboy ships no types: its declaration is ours, referenced so that every project checking this file finds it.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./busboy.d.ts" />
import { GetQueueUrlCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import Busboy from 'busboy';
import http from 'node:http';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, functionAccessKeyId, functionSecretAccessKey } from '../aws.cjs';
import { KNOWN_CONDITION_KEYS } from '../iam/authorizer.mjs';
import { signerOf } from '../iam/aws-request.mjs';
import { evaluate } from '../iam/evaluate.mjs';
import { assumedRoleArn, functionRoles } from '../iam/policy-from-template.mjs';
import { listen } from '../stack/listen.mjs';
import { preflight, responseCorsHeaders } from './cors.mjs';
import { s3Error } from './errors.mjs';
import { CREATED_EVENT, notificationMatches, objectCreatedMessage } from './notifications.mjs';
import { checkPolicy, decodePolicy, fileSizeRefusal } from './post-policy.mjs';
import { objectArn, readS3Request, splitUrl, deleteObjectsKeys } from './s3-request.mjs';
import { parseCredential, postSignature, presignedUrlSignature, readPresignedQuery, sameSignature } from './sigv4.mjs';

/** What the front keeps of a POST body to forward: fauxqs's own request limit (11 MiB). */
export const POST_BUFFER_CAP = 11 * 1024 * 1024;
/** Past this many bytes a POST body is not read on: the connection is closed after the refusal. */
export const POST_READ_CAP = 64 * 1024 * 1024;
/** A DeleteObjects body (at most 1,000 keys) is read whole, up to this. */
const DELETE_BODY_CAP = 1024 * 1024;
const ADMIN_NAME = 'local (admin key)';

/** @typedef {import('./errors.mjs').S3Refusal} S3Refusal */
/** @typedef {import('../cloudformation/s3-buckets.mjs').BucketSettings} BucketSettings */
/**
 * @typedef {{ name: string, accessKeyId: string, secret: string, admin?: boolean, role?: import('../iam/policy-from-template.mjs').FunctionRole }} Identity
 * @typedef {{ kind: 's3', at: number, operation: string, bucket: string, key: string, caller: string, status?: number, durationMs?: number, correlationId?: string, bytes?: number, why?: string }} S3Hop
 */

/** @param {unknown} value */
const list = (value) => (value === undefined ? undefined : [value].flat().map(String));

/** A bucket policy's statements that apply to this principal (Principal `*`, or naming its role or account), in evaluate's shape. @param {any[]} statements @param {string} roleArn */
const bucketPolicyFor = (statements, roleArn) =>
  statements
    .filter(({ Principal: principal }) => {
      if (principal === '*') return true;
      const aws = list(principal?.AWS) ?? [];
      return aws.some((entry) => entry === '*' || entry === roleArn || entry === LOCAL_ACCOUNT_ID || entry === `arn:aws:iam::${LOCAL_ACCOUNT_ID}:root`);
    })
    .map((statement) => ({ Effect: statement.Effect, Action: list(statement.Action), NotAction: list(statement.NotAction), Resource: list(statement.Resource), NotResource: list(statement.NotResource), Condition: statement.Condition }));

const S3_CONDITION_KEYS = new Set([...KNOWN_CONDITION_KEYS, 'aws:securetransport']);

/**
 * @param {{ port?: number, upstreamPort: number, region: string, log: (line: string) => void, enforceIam?: boolean,
 *   sqs: import('@aws-sdk/client-sqs').SQSClient, bufferCap?: number, readCap?: number, now?: () => number }} options
 *   upstreamPort: fauxqs; sqs: a client of fauxqs's SQS with the admin key, for notifications; log: lines without a prefix
 */
export const startS3Front = async ({ port = 0, upstreamPort, region, log, enforceIam = true, sqs, bufferCap = POST_BUFFER_CAP, readCap = POST_READ_CAP, now = Date.now }) => {
  const agent = new http.Agent({ keepAlive: true });
  /** @type {Map<string, Identity>} */
  let identities = new Map();
  /** @type {Map<string, BucketSettings>} */
  let buckets = new Map();
  /** @type {Map<string, string>} */
  let queueUrls = new Map();
  /** @type {import('../stack/recorder.mjs').Recorder | undefined} */
  let recorder;
  /** @type {Set<string>} */
  const said = new Set();
  /** @param {string} line */
  const once = (line) => {
    if (said.has(line)) return;
    said.add(line);
    log(`[s3] ${line}`);
  };

  /** @param {string} accessKeyId @returns {Identity | undefined} */
  const identityOf = (accessKeyId) =>
    accessKeyId === LOCAL_CREDENTIALS.accessKeyId ? { name: ADMIN_NAME, accessKeyId, secret: LOCAL_CREDENTIALS.secretAccessKey, admin: true } : identities.get(accessKeyId);

  /**
   * IAM for these checks: the signer's role and the bucket policy, as S3 evaluates
   * them within one account (an explicit Deny in either wins; an Allow in either allows).
   * @param {Identity} identity @param {import('../iam/evaluate.mjs').Check[]} checks @param {BucketSettings} bucket @param {string} how  e.g. '(presigned POST)'
   * @returns {S3Refusal | undefined}
   */
  const authorize = (identity, checks, bucket, how = '') => {
    if (identity.admin || !enforceIam || !identity.role) return undefined;
    const { role } = identity;
    const roleArn = `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${role.roleName}`;
    const context = {
      'aws:securetransport': 'true',
      'aws:requestedregion': region,
      'aws:principalarn': roleArn,
      'aws:principalaccount': LOCAL_ACCOUNT_ID,
      'aws:principaltype': 'AssumedRole',
    };
    const resourceStatements = bucketPolicyFor(bucket.policy, roleArn);
    for (const check of checks) {
      const request = { ...check, context: { ...context, ...check.context } };
      const options = { knownKeys: S3_CONDITION_KEYS, onUnsupported: (/** @type {string} */ what) => once(`${role.functionName}: a statement's condition ${what} cannot be evaluated locally, so it grants nothing (a Deny with it denies)`) };
      const identityVerdict = evaluate(role.statements, request, options);
      const resourceVerdict = evaluate(/** @type {any} */ (resourceStatements), request, options);
      const explicit = identityVerdict.decision === 'ExplicitDeny' ? 'identity' : resourceVerdict.decision === 'ExplicitDeny' ? 'resource' : undefined;
      if (!explicit && (identityVerdict.decision === 'Allow' || resourceVerdict.decision === 'Allow')) continue;
      log(`[iam] DENIED ${role.functionName} ${check.action} ${check.resource}${how ? ` ${how}` : ''}${explicit ? ` (explicit deny in the ${explicit === 'identity' ? 'role' : 'bucket'} policy)` : ''}`);
      const why = explicit ? `with an explicit deny in a${explicit === 'identity' ? 'n identity' : ' resource'}-based policy` : `because no identity-based policy allows the ${check.action} action`;
      return s3Error('AccessDenied', `User: ${assumedRoleArn(role)} is not authorized to perform: ${check.action} on resource: "${check.resource}" ${why}`);
    }
    return undefined;
  };

  /** @param {S3Hop} hop */
  const record = (hop) => recorder?.record(/** @type {any} */ (hop));

  /** Sends a prepared answer (a HEAD's without its body). @param {http.ServerResponse} res @param {{ status: number, headers: Record<string, string>, body: string }} answer @param {{ head?: boolean, headers?: Record<string, string>, close?: boolean }} [options] */
  const respond = (res, answer, { head = false, headers = {}, close = false } = {}) => {
    if (res.headersSent || res.destroyed) return;
    const body = head ? '' : answer.body;
    res.writeHead(answer.status, { ...answer.headers, ...headers, 'content-length': String(Buffer.byteLength(body)), ...(close && { connection: 'close' }) });
    res.end(body);
  };

  /** What fauxqs says of an object (HEAD): its size, ETag and correlation id. @param {string} bucket @param {string} key */
  const headObject = (bucket, key) =>
    new Promise((resolve, reject) => {
      const path = `/${encodeURIComponent(bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`;
      const request = http.request({ host: '127.0.0.1', port: upstreamPort, method: 'HEAD', path, agent }, (answer) => {
        answer.resume();
        if ((answer.statusCode ?? 0) >= 300) return reject(new Error(`HEAD ${path}: ${answer.statusCode}`));
        const correlationId = answer.headers['x-amz-meta-correlation-id'];
        resolve({ size: Number(answer.headers['content-length'] ?? 0), eTag: String(answer.headers.etag ?? ''), correlationId: typeof correlationId === 'string' ? correlationId : undefined });
      });
      request.on('error', reject);
      request.end();
    });

  /** @param {string} queueArn */
  const queueUrlOf = async (queueArn) => {
    const known = queueUrls.get(queueArn);
    if (known) return known;
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueArn.split(':').pop() }));
    queueUrls.set(queueArn, /** @type {string} */ (QueueUrl));
    return /** @type {string} */ (QueueUrl);
  };

  /**
   * Sends S3's event to each queue notification of the bucket the new object matches.
   * @param {{ bucket: BucketSettings, key: string, operation: string, identity: Identity }} created
   */
  const notify = async ({ bucket, key, operation, identity }) => {
    const eventName = CREATED_EVENT[operation];
    if (!eventName) return;
    const matching = bucket.notifications.filter((notification) => notificationMatches(notification, eventName, key));
    if (matching.length === 0) return;
    try {
      const object = /** @type {{ size: number, eTag: string, correlationId?: string }} */ (await headObject(bucket.name, key));
      for (const notification of matching) {
        const message = objectCreatedMessage({
          region,
          bucket: bucket.name,
          key,
          size: object.size,
          eTag: object.eTag,
          eventName,
          configurationId: notification.id,
          principalId: identity.admin ? `AWS:${identity.accessKeyId}` : `AWS:${identity.accessKeyId}:${identity.name}`,
        });
        const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl: await queueUrlOf(notification.queueArn), MessageBody: JSON.stringify(message) }));
        record(/** @type {any} */ ({ kind: 's3-notification', at: now(), bucket: bucket.name, key, eventName, queueArn: notification.queueArn, messageId: MessageId, ...(object.correlationId && { correlationId: object.correlationId }) }));
      }
    } catch (error) {
      log(`[s3] the ${eventName} notification of ${bucket.name}/${key} could not be sent: ${/** @type {Error} */ (error).message}`);
    }
  };

  /**
   * Forwards a request to fauxqs and its answer back (with the CORS headers), then records it.
   * @param {{ req: http.IncomingMessage, res: http.ServerResponse, path: string, body?: Buffer, headers?: Record<string, string>, corsHeaders: Record<string, string>,
   *   hop: S3Hop, started: number, onCreated?: () => void }} forward
   */
  const forward = ({ req, res, path, body, headers, corsHeaders, hop, started, onCreated }) => {
    // The caller's headers, but the ones that frame the body when it was read here, and Expect (the front answers for itself).
    const raw = [];
    for (let at = 0; at < req.rawHeaders.length; at += 2) {
      const name = String(req.rawHeaders[at]).toLowerCase();
      if (name === 'expect' || (body && (name === 'content-length' || name === 'transfer-encoding'))) continue;
      raw.push(/** @type {string} */ (req.rawHeaders[at]), /** @type {string} */ (req.rawHeaders[at + 1]));
    }
    for (const [name, value] of Object.entries(headers ?? {})) raw.push(name, value);
    if (body) raw.push('content-length', String(body.length));
    const upstream = http.request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path, headers: /** @type {any} */ (raw), agent }, (answer) => {
      const status = answer.statusCode ?? 502;
      /** @type {Record<string, any>} */
      const answerHeaders = { ...answer.headers, ...corsHeaders };
      let bytes = 0;
      answer.on('data', (chunk) => {
        bytes += chunk.length;
      });
      answer.on('end', () => {
        record({ ...hop, status, durationMs: now() - started, ...(hop.bytes === undefined && req.method === 'GET' && status < 300 && { bytes }) });
        if (status >= 200 && status < 300) onCreated?.();
      });
      if (res.destroyed) return void answer.resume();
      res.writeHead(status, answer.statusMessage, answerHeaders);
      answer.pipe(res);
    });
    upstream.on('error', (error) => {
      record({ ...hop, status: 502, durationMs: now() - started, why: `fauxqs did not answer: ${error.message}` });
      res.destroy();
    });
    if (body) upstream.end(body);
    else req.pipe(upstream);
  };

  /** A presigned POST: the form read with busboy, checked, and forwarded whole to fauxqs's PostObject. @param {http.IncomingMessage} req @param {http.ServerResponse} res @param {BucketSettings} bucket @param {S3Hop} hop @param {Record<string, string>} corsHeaders @param {number} started */
  const handlePost = (req, res, bucket, hop, corsHeaders, started) => {
    hop.operation = 'PostObject';
    /** @param {S3Refusal} refusal @param {boolean} [close] */
    const refuse = (refusal, close = false) => {
      respond(res, refusal, { headers: corsHeaders, close });
      record({ ...hop, status: refusal.status, durationMs: now() - started, why: `${refusal.code}: ${refusal.message}` });
    };
    const declared = Number(req.headers['content-length']);
    if (declared > readCap) {
      refuse(s3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', { ProposedSize: declared, MaxSizeAllowed: readCap }), true);
      req.destroy();
      return;
    }
    /** @type {Busboy.Busboy} */
    let busboy;
    try {
      busboy = Busboy({ headers: req.headers, limits: { fieldSize: 20 * 1024, fields: 100, files: 1, parts: 200 } });
    } catch {
      refuse(s3Error('MalformedPOSTRequest', 'The body of your POST request is not well-formed multipart/form-data.'));
      req.resume();
      return;
    }
    /** @type {Buffer[]} */
    const raw = [];
    let total = 0;
    let cutOff = false;
    /** @type {Map<string, string>} */
    const fields = new Map();
    /** @type {{ size: number } | undefined} */
    let file;
    /** @type {{ refused: S3Refusal } | { sizeRange?: { min: number, max: number }, key: string, identity: Identity } | undefined} */
    let decided;
    let fieldTooLong = false;

    req.on('data', (chunk) => {
      total += chunk.length;
      if (total <= bufferCap) raw.push(chunk);
      if (total > readCap && !cutOff) {
        cutOff = true;
        req.unpipe(busboy);
        refuse(s3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', { ProposedSize: Number.isFinite(declared) ? declared : total, MaxSizeAllowed: readCap }), true);
        res.on('finish', () => req.destroy());
      }
    });
    busboy.on('field', (name, value, info) => {
      if (file) return; // S3 ignores what follows the file
      if (info.valueTruncated) fieldTooLong = true;
      fields.set(name.toLowerCase(), value);
    });
    busboy.on('file', (name, stream, info) => {
      if (name.toLowerCase() !== 'file' || file) return void stream.resume();
      file = { size: 0 };
      decided = fieldTooLong ? { refused: s3Error('MaxMessageLengthExceeded', 'Your POST request fields preceeding the upload file were too large.') } : checkForm(bucket, fields, info.filename ?? '', hop);
      stream.on('data', (chunk) => {
        /** @type {{ size: number }} */ (file).size += chunk.length;
      });
    });
    busboy.on('error', () => {
      if (cutOff) return;
      cutOff = true;
      refuse(s3Error('MalformedPOSTRequest', 'The body of your POST request is not well-formed multipart/form-data.'));
      req.resume();
    });
    busboy.on('close', () => {
      if (cutOff) return;
      if (!file || !decided) return refuse(s3Error('InvalidArgument', 'POST requires exactly one file upload per request.', { ArgumentName: 'file', ArgumentValue: 0 }));
      if ('refused' in decided) return refuse(decided.refused);
      const { sizeRange, key, identity } = decided;
      hop.bytes = file.size;
      const tooBig = fileSizeRefusal(file.size, sizeRange);
      if (tooBig) return refuse(tooBig);
      if (total > bufferCap) return refuse(s3Error('EntityTooLarge', `Your proposed upload exceeds the maximum allowed size (the local S3 emulator stores POST bodies of at most ${bufferCap} bytes)`, { ProposedSize: file.size, MaxSizeAllowed: bufferCap }));
      forward({ req, res, path: `/${encodeURIComponent(bucket.name)}`, body: Buffer.concat(raw), corsHeaders, hop, started, onCreated: () => void notify({ bucket, key, operation: 'PostObject', identity }) });
    });
    req.pipe(busboy);
  };

  /**
   * The form's signature, policy and conditions, and IAM for its key: what S3 checks before it stores the file.
   * @param {BucketSettings} bucket @param {Map<string, string>} fields @param {string} filename @param {S3Hop} hop
   * @returns {{ refused: S3Refusal } | { sizeRange?: { min: number, max: number }, key: string, identity: Identity }}
   */
  const checkForm = (bucket, fields, filename, hop) => {
    hop.correlationId = fields.get('x-amz-meta-correlation-id');
    const policyBase64 = fields.get('policy');
    // No policy: an anonymous upload, which nothing allows (Block Public Access is on).
    if (!policyBase64) return { refused: s3Error('AccessDenied', 'Access Denied') };
    if (fields.has('awsaccesskeyid')) return { refused: s3Error('InvalidArgument', 'Signature Version 2 POST uploads are not supported locally: sign with SigV4 (X-Amz-Algorithm AWS4-HMAC-SHA256).') };
    if (fields.get('x-amz-algorithm') !== 'AWS4-HMAC-SHA256') return { refused: s3Error('InvalidArgument', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"', { ArgumentName: 'x-amz-algorithm', ArgumentValue: fields.get('x-amz-algorithm') ?? '' }) };
    const credential = parseCredential(fields.get('x-amz-credential'));
    if (!credential) return { refused: s3Error('InvalidArgument', 'Bucket POST must contain a well-formed field named \'X-Amz-Credential\'.', { ArgumentName: 'x-amz-credential', ArgumentValue: fields.get('x-amz-credential') ?? '' }) };
    const signature = fields.get('x-amz-signature');
    if (!signature) return { refused: s3Error('InvalidArgument', 'Bucket POST must contain a field named \'X-Amz-Signature\'.  If it is specified, please check the order of the fields.', { ArgumentName: 'x-amz-signature', ArgumentValue: '' }) };
    const identity = identityOf(credential.accessKeyId);
    if (!identity) return { refused: s3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', { AWSAccessKeyId: credential.accessKeyId }) };
    hop.caller = `presigned by ${identity.name}`;
    if (!sameSignature(postSignature(identity.secret, credential, policyBase64), signature)) {
      return {
        refused: s3Error('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', { AWSAccessKeyId: credential.accessKeyId, StringToSign: policyBase64, SignatureProvided: signature }),
      };
    }
    const decoded = decodePolicy(policyBase64);
    if ('refused' in decoded) return decoded;
    const checked = checkPolicy(decoded.policy, { fields, bucket: bucket.name, now: now() });
    if ('refused' in checked) return checked;
    const formBucket = fields.get('bucket');
    if (formBucket !== undefined && formBucket !== bucket.name) return { refused: s3Error('AccessDenied', `Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "${bucket.name}"]`) };
    const rawKey = fields.get('key');
    if (!rawKey) return { refused: s3Error('InvalidArgument', "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.", { ArgumentName: 'key', ArgumentValue: '' }) };
    const key = rawKey.replaceAll('${filename}', filename.split(/[\\/]/).pop() ?? '');
    hop.key = key;
    const denied = authorize(identity, [{ action: 's3:PutObject', resource: objectArn(bucket.name, key), context: {} }], bucket, '(presigned POST)');
    if (denied) return { refused: denied };
    return { sizeRange: checked.sizeRange, key, identity };
  };

  /** @param {http.IncomingMessage} req @param {http.ServerResponse} res */
  const handle = async (req, res) => {
    const started = now();
    const method = (req.method ?? 'GET').toUpperCase();
    const head = method === 'HEAD';
    const { rawPath, query, bucket: bucketName = '', key = '' } = splitUrl(req.url ?? '/');
    /** @type {S3Hop} */
    const hop = { kind: 's3', at: started, operation: method, bucket: bucketName, key, caller: 'anonymous' };
    const correlation = req.headers['x-amz-meta-correlation-id'];
    if (typeof correlation === 'string') hop.correlationId = correlation;
    /** @param {S3Refusal | { status: number, headers: Record<string, string>, body: string, code?: string, message?: string }} answer @param {Record<string, string>} [headers] */
    const answer = (answer, headers = {}) => {
      req.resume();
      respond(res, answer, { head, headers });
      record({ ...hop, status: answer.status, durationMs: now() - started, ...('code' in answer && answer.code && { why: `${answer.code}: ${answer.message}` }) });
    };
    const bucket = buckets.get(bucketName);
    if (!bucket) {
      if (!bucketName) return answer(s3Error('AccessDenied', 'Access Denied (the local S3 front serves only the buckets of the templates, path-style: /<bucket>/<key>)'));
      return answer(s3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucketName }));
    }
    if (method === 'OPTIONS') {
      hop.operation = 'PreflightRequest';
      return answer(preflight(bucket.cors, req.headers));
    }
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    const corsHeaders = responseCorsHeaders(bucket.cors, origin, method);
    if (method === 'POST' && !key && /multipart\/form-data/i.test(String(req.headers['content-type'] ?? ''))) return handlePost(req, res, bucket, hop, corsHeaders, started);

    /** @type {Identity | undefined} */
    let identity;
    const presigned = query.has('X-Amz-Signature') || query.has('X-Amz-Credential');
    if (presigned) {
      const read = readPresignedQuery(query);
      if ('error' in read) return answer(s3Error('AuthorizationQueryParametersError', read.error), corsHeaders);
      identity = identityOf(read.credential.accessKeyId);
      if (!identity) return answer(s3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', { AWSAccessKeyId: read.credential.accessKeyId }), corsHeaders);
      hop.caller = `presigned by ${identity.name}`;
      const expires = read.signedAt.getTime() + read.expiresSeconds * 1000;
      if (now() > expires) {
        return answer(s3Error('AccessDenied', 'Request has expired', { 'X-Amz-Expires': read.expiresSeconds, Expires: new Date(expires).toISOString(), ServerTime: new Date(now()).toISOString() }), corsHeaders);
      }
      const computed = presignedUrlSignature({ method, rawPath, query, headers: req.headers, secret: identity.secret }, read);
      if (!sameSignature(computed.signature, read.signature)) {
        return answer(
          s3Error('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', {
            AWSAccessKeyId: read.credential.accessKeyId,
            StringToSign: computed.stringToSign,
            SignatureProvided: read.signature,
            CanonicalRequest: computed.canonicalRequest,
          }),
          corsHeaders,
        );
      }
    } else if (req.headers.authorization) {
      const signer = signerOf(req.headers.authorization);
      if (!signer) return answer(s3Error('AccessDenied', 'Access Denied (only SigV4 Authorization headers are read locally)'));
      identity = identityOf(signer.accessKeyId);
      if (!identity) {
        log(`[iam] DENIED unknown access key ${signer.accessKeyId} ${method} ${req.url}`);
        return answer(s3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', { AWSAccessKeyId: signer.accessKeyId }));
      }
      hop.caller = identity.name;
    } else {
      return answer(s3Error('AccessDenied', 'Access Denied'), corsHeaders);
    }

    const request = readS3Request({ method, url: req.url ?? '/', headers: req.headers });
    if ('unsupported' in request) {
      log(`[iam] DENIED ${identity.name} (a request the local S3 front does not forward: ${request.unsupported})`);
      return answer(s3Error('AccessDenied', `The local S3 front does not forward this request: ${request.unsupported}`), corsHeaders);
    }
    hop.operation = request.operation;
    /** @type {Buffer | undefined} */
    let body;
    let { checks } = request;
    if (request.needsBody) {
      body = await readBody(req, DELETE_BODY_CAP);
      if (!body) return answer(s3Error('MaxMessageLengthExceeded', 'Your request was too big.'));
      checks = deleteObjectsKeys(body.toString('utf8')).map((objectKey) => ({ action: 's3:DeleteObject', resource: objectArn(bucket.name, objectKey), context: {} }));
    }
    const denied = authorize(identity, checks, bucket, presigned ? '(presigned URL)' : '');
    if (denied) return answer(denied, corsHeaders);
    // fauxqs gets the path and the query without the presigned parameters.
    const forwardedQuery = new URLSearchParams([...query.entries()].filter(([name]) => !/^x-amz-/i.test(name))).toString();
    const creator = identity;
    forward({
      req,
      res,
      path: `${rawPath}${forwardedQuery ? `?${forwardedQuery}` : ''}`,
      body,
      corsHeaders,
      hop,
      started,
      onCreated: request.creates ? () => void notify({ bucket, key: request.key, operation: request.operation, identity: creator }) : undefined,
    });
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error) => {
      log(`[s3] ${req.method} ${req.url}: ${error.message}`);
      if (!res.headersSent) respond(res, s3Error('InternalError', 'We encountered an internal error. Please try again.'));
      else res.destroy();
    });
  });
  const listening = await listen(server, port, '127.0.0.1');
  return {
    port: listening,
    endpoint: `http://127.0.0.1:${listening}`,
    /**
     * Serves the buckets of these provisioned stacks (their settings from provisioning) and knows their functions' keys and roles.
     * @param {{ stacks: import('@platform/local-runtime/types').ProvisionedStack[], recorder?: import('../stack/recorder.mjs').Recorder }} options
     */
    configure: ({ stacks, recorder: hops }) => {
      const roles = functionRoles(stacks, { warn: () => {} });
      identities = new Map([...roles.values()].map((role) => [functionAccessKeyId(role.functionName), { name: role.functionName, accessKeyId: functionAccessKeyId(role.functionName), secret: functionSecretAccessKey(role.functionName), role }]));
      buckets = new Map(stacks.flatMap((stack) => (stack.buckets ?? []).map((bucket) => [bucket.name, bucket])));
      queueUrls = new Map(stacks.flatMap((stack) => [...stack.physicalIds.values()].flatMap((id) => (id.attributes?.Arn && id.attributes?.QueueUrl ? [[String(id.attributes.Arn), String(id.attributes.QueueUrl)]] : []))));
      recorder = hops;
      return { buckets: [...buckets.keys()], enforcing: enforceIam };
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
      agent.destroy();
    },
  };
};

/** A request body read whole, or undefined past `cap` bytes. @param {http.IncomingMessage} req @param {number} cap @returns {Promise<Buffer | undefined>} */
const readBody = (req, cap) =>
  new Promise((resolve, reject) => {
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= cap) chunks.push(chunk);
    });
    req.on('end', () => resolve(size <= cap ? Buffer.concat(chunks) : undefined));
    req.on('error', reject);
  });
