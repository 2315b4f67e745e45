// Creates the S3 buckets of a compiled template in fauxqs's S3 and reads what
// the local S3 front applies to them (s3/s3-front.mjs): CORS rules, queue
// notifications, the bucket policy. A bucket's physical id (its Ref) is its
// BucketName; its Arn is arn:aws:s3:::<name>. The LifecycleConfiguration is
// stored in fauxqs (GetBucketLifecycleConfiguration answers it) but never runs:
// nothing expires locally. A bucket that exists already (kept by LOCAL_PERSIST=1)
// is taken as it is. Then, as S3 does when a notification configuration is set,
// each destination queue's policy is checked (provisioning fails with AWS's
// message when it does not let the bucket send) and each destination gets an
// s3:TestEvent, once, when the bucket is created.
import { CreateBucketCommand, PutBucketLifecycleConfigurationCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { resourcesOfType } from './cfn.mjs';
import { destinationError, destinationProblems, queueNotifications, testEventMessage } from '../s3/notifications.mjs';

/**
 * @typedef {object} BucketSettings  what the S3 front applies to one bucket
 * @property {string} name
 * @property {string} arn
 * @property {string} stack  the service whose template declares it
 * @property {import('../s3/cors.mjs').CorsRule[] | undefined} cors
 * @property {import('../s3/notifications.mjs').QueueNotification[]} notifications
 * @property {any[]} policy  the statements of its AWS::S3::BucketPolicy, resolved
 * @property {boolean} existed  kept from an earlier run (LOCAL_PERSIST=1)
 *
 * @typedef {{ name: string, template: import('@platform/local-runtime/types').CfnTemplate, resolve: import('@platform/local-runtime/types').Resolve, physicalIds: import('@platform/local-runtime/types').PhysicalIds }} Stack
 */

const BUCKET_EXISTS = /BucketAlreadyOwnedByYou|BucketAlreadyExists/;
/** The framework's own bucket for deploy artifacts (every compiled template has one): nothing runs against it locally. */
const DEPLOYMENT_BUCKET = 'ServerlessDeploymentBucket';

/** CloudFormation's lifecycle rule shape to the S3 API's. @param {any} rule */
const lifecycleRule = (rule) => ({
  ID: rule.Id,
  Status: rule.Status,
  Filter: { Prefix: rule.Prefix ?? '' },
  ...(rule.ExpirationInDays !== undefined && { Expiration: { Days: Number(rule.ExpirationInDays) } }),
  ...(rule.AbortIncompleteMultipartUpload && { AbortIncompleteMultipartUpload: { DaysAfterInitiation: Number(rule.AbortIncompleteMultipartUpload.DaysAfterInitiation) } }),
  ...(rule.NoncurrentVersionExpirationInDays !== undefined && { NoncurrentVersionExpiration: { NoncurrentDays: Number(rule.NoncurrentVersionExpirationInDays) } }),
});

/**
 * Creates each AWS::S3::Bucket of the template (given its physical id) and stores its lifecycle rules.
 * @param {Stack & { s3: import('@aws-sdk/client-s3').S3Client, stackName: string, log: (line: string) => void }} stack
 * @returns {Promise<Array<{ logicalId: string, name: string, existed: boolean }>>}
 */
export const createBuckets = async ({ s3, template, resolve, physicalIds, stackName, log }) => {
  const created = [];
  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::S3::Bucket')) {
    if (logicalId === DEPLOYMENT_BUCKET) continue;
    // Without a BucketName, CloudFormation makes one from the stack and logical id (plus a random suffix, here none).
    const name = String(resource.Properties?.BucketName === undefined ? `${stackName}-${logicalId}`.toLowerCase() : resolve(resource.Properties.BucketName));
    let existed = false;
    try {
      await s3.send(new CreateBucketCommand({ Bucket: name }));
    } catch (error) {
      if (!BUCKET_EXISTS.test(/** @type {Error} */ (error).name)) throw error;
      existed = true;
    }
    physicalIds.set(logicalId, {
      ref: name,
      attributes: { Arn: `arn:aws:s3:::${name}`, DomainName: `${name}.s3.amazonaws.com`, RegionalDomainName: `${name}.s3.${resolve({ Ref: 'AWS::Region' })}.amazonaws.com` },
    });
    const rules = resource.Properties?.LifecycleConfiguration?.Rules;
    if (Array.isArray(rules) && rules.length > 0) {
      try {
        await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: name, LifecycleConfiguration: { Rules: resolve(rules).map(lifecycleRule) } }));
      } catch (error) {
        log(`${name}: its lifecycle rules could not be stored locally (${/** @type {Error} */ (error).message}); they never run locally anyway`);
      }
    }
    created.push({ logicalId, name, existed });
  }
  return created;
};

/**
 * What the S3 front applies to each bucket of a provisioned stack, once its
 * queues and buckets exist; checks each notification destination's queue
 * policy as S3 does (throws AWS's error), and sends each destination of a
 * newly created bucket its s3:TestEvent.
 * @param {Stack & { sqs: import('@aws-sdk/client-sqs').SQSClient, buckets: Array<{ logicalId: string, name: string, existed: boolean }> }} stack
 * @returns {Promise<BucketSettings[]>}
 */
export const bucketSettings = async ({ name: stackName, template, resolve, physicalIds, sqs, buckets }) => {
  const queueUrls = new Map([...physicalIds.values()].flatMap((id) => (id.attributes?.Arn && id.attributes?.QueueUrl ? [[id.attributes.Arn, id.attributes.QueueUrl]] : [])));
  const queuePolicies = resourcesOfType(template, 'AWS::SQS::QueuePolicy').map(([, policy]) => resolve(policy.Properties ?? {}));
  /** @param {string} queueArn */
  const policiesOf = (queueArn) => {
    const url = queueUrls.get(queueArn);
    const on = queuePolicies.filter((policy) => (policy.Queues ?? []).includes(url));
    return on.length === 0 ? undefined : on.flatMap((policy) => [policy.PolicyDocument?.Statement ?? []].flat());
  };
  // Only the policies of buckets made here: the framework's deployment bucket (and its policy) is not emulated.
  const made = new Set(buckets.map((bucket) => bucket.logicalId));
  const bucketPolicies = resourcesOfType(template, 'AWS::S3::BucketPolicy')
    .filter(([, policy]) => {
      const bucket = policy.Properties?.Bucket;
      return !(bucket && typeof bucket === 'object' && 'Ref' in bucket && !made.has(bucket.Ref));
    })
    .map(([, policy]) => resolve(policy.Properties ?? {}));
  /** @type {BucketSettings[]} */
  const settings = [];
  for (const { logicalId, name, existed } of buckets) {
    const properties = template.Resources?.[logicalId]?.Properties ?? {};
    const notifications = queueNotifications(name, resolve(properties.NotificationConfiguration ?? {}));
    const problems = destinationProblems({ bucket: name, notifications, queuePolicies: policiesOf });
    if (problems.length > 0) throw new Error(`${stackName}: ${logicalId}: ${destinationError(name, problems)}`);
    if (!existed) {
      for (const queueArn of new Set(notifications.map((notification) => notification.queueArn))) {
        const QueueUrl = queueUrls.get(queueArn);
        if (!QueueUrl) throw new Error(`${stackName}: ${logicalId}: the notification destination ${queueArn} is not a queue of this stack (the local stack sends only to its own queues)`);
        await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify(testEventMessage(name)) }));
      }
    }
    settings.push({
      name,
      arn: `arn:aws:s3:::${name}`,
      stack: stackName,
      cors: properties.CorsConfiguration ? resolve(properties.CorsConfiguration).CorsRules : undefined,
      notifications,
      policy: bucketPolicies.filter((policy) => policy.Bucket === name).flatMap((policy) => [policy.PolicyDocument?.Statement ?? []].flat()),
      existed,
    });
  }
  return settings;
};
