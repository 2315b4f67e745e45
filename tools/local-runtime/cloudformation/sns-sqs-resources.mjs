// Creates the SNS topics, SQS queues and SNS→SQS subscriptions of a compiled
// template in the emulator. Queue policies are not emulated (fauxqs does no
// IAM); the template policy test checks them instead. Each may exist already
// (an emulator that kept its state across a restart, or a stack started twice
// against one emulator): it is then taken as it is and given the template's
// attributes, as a CloudFormation update would, never created twice.
import { CreateQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { CreateTopicCommand, ListSubscriptionsByTopicCommand, SetSubscriptionAttributesCommand, SubscribeCommand } from '@aws-sdk/client-sns';
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

// What SQS answers CreateQueue for a queue that exists with other attributes (fauxqs prefixes it with the query protocol's namespace).
const QUEUE_EXISTS = /QueueNameExists|QueueAlreadyExists/;
// Attributes SetQueueAttributes cannot change (a queue is FIFO from its creation).
const FIXED_QUEUE_ATTRIBUTES = new Set(['FifoQueue']);

/**
 * The queue's URL: created, or, when it exists with other attributes, given the template's.
 * @param {import('@aws-sdk/client-sqs').SQSClient} sqs @param {string} name @param {Record<string, string>} attributes
 * @returns {Promise<string>}
 */
const createOrUpdateQueue = async (sqs, name, attributes) => {
  try {
    const { QueueUrl } = /** @type {{ QueueUrl: string }} */ (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes })));
    return QueueUrl;
  } catch (error) {
    if (!QUEUE_EXISTS.test(/** @type {Error} */ (error).name)) throw error;
  }
  const { QueueUrl } = /** @type {{ QueueUrl: string }} */ (await sqs.send(new GetQueueUrlCommand({ QueueName: name })));
  const changeable = Object.fromEntries(Object.entries(attributes).filter(([attribute]) => !FIXED_QUEUE_ATTRIBUTES.has(attribute)));
  if (Object.keys(changeable).length > 0) await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: changeable }));
  return QueueUrl;
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
    const QueueUrl = await createOrUpdateQueue(sqs, properties.QueueName, Attributes);
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
    try {
      await sns.send(new SubscribeCommand({ TopicArn, Protocol, Endpoint, Attributes }));
    } catch (error) {
      // SNS answers InvalidParameter for a subscription that exists with other attributes: it gets the template's.
      if (!/already exists/i.test(/** @type {Error} */ (error).message)) throw error;
      await updateSubscription(sns, { TopicArn, Protocol, Endpoint, Attributes });
    }
    created.push({ topicArn: TopicArn, endpoint: Endpoint, filterPolicy: FilterPolicy });
  }
  return created;
};

/**
 * Gives an existing subscription (same topic, protocol and endpoint) the template's attributes.
 * @param {import('@aws-sdk/client-sns').SNSClient} sns
 * @param {{ TopicArn: string, Protocol: string, Endpoint: string, Attributes: Record<string, string> }} subscription
 */
const updateSubscription = async (sns, { TopicArn, Protocol, Endpoint, Attributes }) => {
  /** @type {string | undefined} */
  let NextToken;
  do {
    const page = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn, NextToken }));
    const found = (page.Subscriptions ?? []).find((subscription) => subscription.Protocol === Protocol && subscription.Endpoint === Endpoint);
    if (found) {
      for (const [AttributeName, AttributeValue] of Object.entries(Attributes)) {
        await sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn: found.SubscriptionArn, AttributeName, AttributeValue }));
      }
      return;
    }
    NextToken = page.NextToken;
  } while (NextToken);
  throw new Error(`${TopicArn}: a subscription of ${Endpoint} exists, SNS says, but it is not listed`);
};
