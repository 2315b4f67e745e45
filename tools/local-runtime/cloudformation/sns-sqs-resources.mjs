// Creates the SNS topics, SQS queues and SNS→SQS subscriptions of a compiled
// template in the emulator. Queue policies are not emulated (fauxqs does no
// IAM); the template policy test checks them instead.
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { resourcesOfType } from './cfn.mjs';

/**
 * @typedef {{ template: import('@platform/local-runtime/types').CfnTemplate, resolve: import('@platform/local-runtime/types').Resolve, physicalIds: import('@platform/local-runtime/types').PhysicalIds }} Stack
 */

/** @param {unknown} value */
const stringify = (value) => (typeof value === 'string' ? value : JSON.stringify(value));

// CloudFormation queue properties that are queue attributes of the same name.
const QUEUE_ATTRIBUTES = [
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'FifoQueue',
  'ContentBasedDeduplication',
];

/** @param {Stack & { sns: import('@aws-sdk/client-sns').SNSClient }} stack @returns {Promise<string[]>} the names of the topics created */
export const createTopics = async ({ sns, template, resolve, physicalIds }) => {
  /** @type {string[]} */
  const created = [];
  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::SNS::Topic')) {
    const { TopicName } = resolve(resource.Properties);
    const { TopicArn } = /** @type {{ TopicArn: string }} */ (await sns.send(new CreateTopicCommand({ Name: TopicName })));
    physicalIds.set(logicalId, { ref: TopicArn, attributes: { TopicArn, TopicName } });
    created.push(TopicName);
  }
  return created;
};

/** @param {Stack & { sqs: import('@aws-sdk/client-sqs').SQSClient }} stack */
export const createQueues = async ({ sqs, template, resolve, physicalIds }) => {
  // A dead-letter queue must exist before the queue whose RedrivePolicy names it.
  const queues = resourcesOfType(template, 'AWS::SQS::Queue').sort(
    ([, a], [, b]) => Number(Boolean(a.Properties?.RedrivePolicy)) - Number(Boolean(b.Properties?.RedrivePolicy)),
  );
  /** @type {Array<{ name: string, url: string, arn: string, attributes: Record<string, string> }>} */
  const created = [];
  for (const [logicalId, resource] of queues) {
    const properties = resolve(resource.Properties ?? {});
    const Attributes = Object.fromEntries(
      QUEUE_ATTRIBUTES.filter((name) => properties[name] !== undefined).map((name) => [name, stringify(properties[name])]),
    );
    // The emulator answers both, as SQS does.
    const { QueueUrl } = /** @type {{ QueueUrl: string }} */ (await sqs.send(new CreateQueueCommand({ QueueName: properties.QueueName, Attributes })));
    const { Attributes: actual } = /** @type {{ Attributes: { QueueArn: string } }} */ (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }))
    );
    physicalIds.set(logicalId, {
      ref: QueueUrl,
      attributes: { Arn: actual.QueueArn, QueueName: properties.QueueName, QueueUrl },
    });
    created.push({ name: properties.QueueName, url: QueueUrl, arn: actual.QueueArn, attributes: Attributes });
  }
  return created;
};

/** @param {Omit<Stack, 'physicalIds'> & { sns: import('@aws-sdk/client-sns').SNSClient }} stack */
export const createSubscriptions = async ({ sns, template, resolve }) => {
  /** @type {Array<{ topicArn: string, endpoint: string, filterPolicy: unknown }>} */
  const created = [];
  for (const [, resource] of resourcesOfType(template, 'AWS::SNS::Subscription')) {
    const { TopicArn, Protocol, Endpoint, RawMessageDelivery, FilterPolicy, FilterPolicyScope } = resolve(resource.Properties);
    /** @type {Record<string, string>} */
    const Attributes = {};
    if (RawMessageDelivery !== undefined) Attributes.RawMessageDelivery = String(RawMessageDelivery);
    if (FilterPolicy !== undefined) Attributes.FilterPolicy = stringify(FilterPolicy);
    if (FilterPolicyScope !== undefined) Attributes.FilterPolicyScope = FilterPolicyScope;
    await sns.send(new SubscribeCommand({ TopicArn, Protocol, Endpoint, Attributes }));
    created.push({ topicArn: TopicArn, endpoint: Endpoint, filterPolicy: FilterPolicy });
  }
  return created;
};
