// S3 event notifications to SQS, as S3 sends them
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html):
// which QueueConfigurations of a bucket an object-creating request matches
// (event name with `*`, prefix/suffix key filters), the message body (one
// record, eventVersion 2.1, the key URL-encoded as S3 encodes it), the
// s3:TestEvent S3 sends when a configuration is set, and the check S3 makes
// then: each destination queue's policy must let s3.amazonaws.com send with
// the bucket as aws:SourceArn, or S3 refuses the configuration.
import { createHash, randomBytes } from 'node:crypto';
import { LOCAL_ACCOUNT_ID } from '../aws.cjs';
import { evaluate } from '../iam/evaluate.mjs';
import { bucketArn } from './s3-request.mjs';

/**
 * @typedef {object} QueueNotification  one QueueConfiguration of a bucket, resolved
 * @property {string} id  its configurationId (S3 makes one up when the configuration has none)
 * @property {string} event  e.g. s3:ObjectCreated:*
 * @property {string} queueArn
 * @property {string} prefix
 * @property {string} suffix
 */

/** The event name of each object-creating operation. @type {Record<string, string>} */
export const CREATED_EVENT = {
  PostObject: 'ObjectCreated:Post',
  PutObject: 'ObjectCreated:Put',
  CopyObject: 'ObjectCreated:Copy',
  CompleteMultipartUpload: 'ObjectCreated:CompleteMultipartUpload',
};

/**
 * A bucket's NotificationConfiguration.QueueConfigurations (resolved), as the front applies them.
 * @param {string} bucket @param {any} notificationConfiguration
 * @returns {QueueNotification[]}
 */
export const queueNotifications = (bucket, notificationConfiguration) =>
  (notificationConfiguration?.QueueConfigurations ?? []).map((/** @type {any} */ configuration, /** @type {number} */ index) => {
    const rules = configuration.Filter?.S3Key?.Rules ?? [];
    /** @param {string} name */
    const rule = (name) => String(rules.find((/** @type {any} */ entry) => String(entry.Name).toLowerCase() === name)?.Value ?? '');
    // S3 names a configuration without an Id with a made-up one (base64 of a UUID); here one derived from the bucket and position.
    const made = createHash('sha256').update(`${bucket}#${index}`).digest('hex');
    const id = configuration.Id ?? Buffer.from(`${made.slice(0, 8)}-${made.slice(8, 12)}-${made.slice(12, 16)}-${made.slice(16, 20)}-${made.slice(20, 32)}`).toString('base64');
    return { id, event: String(configuration.Event), queueArn: String(configuration.Queue), prefix: rule('prefix'), suffix: rule('suffix') };
  });

/** Whether a configuration's event (s3:ObjectCreated:* or one event) and key filters match. @param {QueueNotification} configuration @param {string} eventName @param {string} key */
export const notificationMatches = (configuration, eventName, key) => {
  const wanted = configuration.event;
  const actual = `s3:${eventName}`;
  const eventMatches = wanted.endsWith(':*') ? actual.startsWith(wanted.slice(0, -1)) : wanted === actual;
  return eventMatches && key.startsWith(configuration.prefix) && key.endsWith(configuration.suffix);
};

/** A key as S3 writes it in an event: form-URL-encoded (a space is +), slashes kept. @param {string} key */
export const eventKey = (key) =>
  encodeURIComponent(key)
    .replace(/[!'()~]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')
    .replace(/%2F/g, '/');

let sequence = 0n;
/** A sequencer that grows with each event, as S3's does per key (hex, upper case). */
const nextSequencer = () => {
  sequence += 1n;
  return (BigInt(Date.now()) * 1_000_000n + sequence).toString(16).toUpperCase().padStart(18, '0');
};

/**
 * The body of the message S3 sends for one created object.
 * @param {{ region: string, bucket: string, key: string, size: number, eTag: string, eventName: string, configurationId: string,
 *   principalId: string, sourceIp?: string, at?: Date, requestId?: string }} event
 */
export const objectCreatedMessage = ({ region, bucket, key, size, eTag, eventName, configurationId, principalId, sourceIp = '127.0.0.1', at = new Date(), requestId }) => ({
  Records: [
    {
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: region,
      eventTime: at.toISOString(),
      eventName,
      userIdentity: { principalId },
      requestParameters: { sourceIPAddress: sourceIp },
      responseElements: { 'x-amz-request-id': requestId ?? randomBytes(8).toString('hex').toUpperCase(), 'x-amz-id-2': randomBytes(32).toString('base64') },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId,
        bucket: { name: bucket, ownerIdentity: { principalId: OWNER_ID }, arn: bucketArn(bucket) },
        object: { key: eventKey(key), size, eTag: eTag.replace(/"/g, ''), sequencer: nextSequencer() },
      },
    },
  ],
});

/** The bucket owner's canonical-ish id in events (AWS writes the owner's id there). */
const OWNER_ID = `A${createHash('sha256').update(LOCAL_ACCOUNT_ID).digest('hex').slice(0, 13).toUpperCase()}`;

/** The message S3 sends to each destination when a notification configuration is set. @param {string} bucket @param {Date} [at] */
export const testEventMessage = (bucket, at = new Date()) => ({
  Service: 'Amazon S3',
  Event: 's3:TestEvent',
  Time: at.toISOString(),
  Bucket: bucket,
  RequestId: randomBytes(8).toString('hex').toUpperCase(),
  HostId: randomBytes(32).toString('base64'),
});

/** @param {unknown} value */
const list = (value) => (value === undefined ? undefined : [value].flat().map(String));

/** Whether a resource policy statement's Principal names the S3 service (or everyone). @param {any} principal */
const namesS3 = (principal) =>
  principal === '*' || (principal && typeof principal === 'object' && ((list(principal.Service) ?? []).includes('s3.amazonaws.com') || (list(principal.AWS) ?? []).includes('*')));

/**
 * Why S3 would refuse each destination of a bucket's notification configuration:
 * the queue's policy (the template's AWS::SQS::QueuePolicy statements on that
 * queue, resolved) does not allow s3.amazonaws.com sqs:SendMessage with this
 * bucket as aws:SourceArn and this account as aws:SourceAccount.
 * @param {{ bucket: string, notifications: QueueNotification[], queuePolicies: (queueArn: string) => any[] | undefined }} options
 *   queuePolicies: the statements of the policies on that queue, or undefined when it has none
 * @returns {string[]}
 */
export const destinationProblems = ({ bucket, notifications, queuePolicies }) => {
  const problems = [];
  for (const queueArn of new Set(notifications.map((notification) => notification.queueArn))) {
    const statements = queuePolicies(queueArn);
    if (!statements) {
      problems.push(`${queueArn}: the queue has no policy, so s3.amazonaws.com may not send to it`);
      continue;
    }
    const applicable = statements
      .filter((statement) => namesS3(statement.Principal))
      .map((statement) => ({ Effect: statement.Effect, Action: list(statement.Action), NotAction: list(statement.NotAction), Resource: list(statement.Resource), NotResource: list(statement.NotResource), Condition: statement.Condition }));
    const verdict = evaluate(
      /** @type {any} */ (applicable),
      { action: 'sqs:SendMessage', resource: queueArn, context: { 'aws:sourcearn': bucketArn(bucket), 'aws:sourceaccount': LOCAL_ACCOUNT_ID } },
      { knownKeys: new Set(['aws:sourcearn', 'aws:sourceaccount']) },
    );
    if (verdict.decision !== 'Allow') {
      problems.push(`${queueArn}: its policy does not allow s3.amazonaws.com sqs:SendMessage with aws:SourceArn ${bucketArn(bucket)} and aws:SourceAccount ${LOCAL_ACCOUNT_ID}${verdict.decision === 'ExplicitDeny' ? ' (an explicit deny)' : ''}`);
    }
  }
  return problems;
};

/** AWS's words for a refused notification configuration. @param {string} bucket @param {string[]} problems */
export const destinationError = (bucket, problems) =>
  `Unable to validate the following destination configurations (Service: Amazon S3; Status Code: 400; Error Code: InvalidArgument) for bucket ${bucket}:\n    ${problems.join('\n    ')}`;
