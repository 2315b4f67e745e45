// Replay: publish a recorded event to the bus again, as it was or edited,
// after checking it against its type's zod schema, the one producers and
// consumers use (libs/events/src/contracts.ts, loaded by contracts.mjs).
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { localClientConfig } from '@platform/local-runtime/aws';
import { resourcesOfType } from '@platform/local-runtime/cloudformation/cfn';
import { loadContracts } from './contracts.mjs';

/**
 * Checks a candidate event against its type's schema.
 * @param {unknown} candidate
 * @returns {Promise<{ ok: true, event: any } | { ok: false, issues: string[] }>}
 */
export const validateEvent = async (candidate) => {
  const { EventSchemas, EVENT_TYPES } = await loadContracts();
  const type = /** @type {{ type?: unknown } | null} */ (candidate)?.type;
  if (typeof type !== 'string' || !(type in EventSchemas)) {
    return { ok: false, issues: [`type: ${JSON.stringify(type)} is no event type; known: ${EVENT_TYPES.join(', ')}`] };
  }
  const result = /** @type {import('./contracts.mjs').Schema} */ (EventSchemas[type]).safeParse(candidate);
  if (!result.success) return { ok: false, issues: result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`) };
  return { ok: true, event: result.data };
};

/**
 * The bus: the topic the services' subscriptions are on (the event-bus
 * stack's domain-events topic), from the provisioned stacks.
 * @param {Array<{ name: string, template: any, resolve?: (value: any) => any }>} stacks
 */
export const busTopicArn = (stacks) => {
  const counts = new Map();
  for (const stack of stacks) {
    for (const [, resource] of resourcesOfType(stack.template, 'AWS::SNS::Subscription')) {
      try {
        const { TopicArn, FilterPolicy } = stack.resolve ? stack.resolve(resource.Properties) : resource.Properties;
        if (typeof TopicArn === 'string' && FilterPolicy) counts.set(TopicArn, (counts.get(TopicArn) ?? 0) + 1);
      } catch {
        // a subscription the local stack does not emulate
      }
    }
  }
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
};

/**
 * @param {{ stacks: any[], snsSqsEndpoint: string }} options
 */
export const createReplay = ({ stacks, snsSqsEndpoint }) => {
  const sns = new SNSClient({ ...localClientConfig(snsSqsEndpoint), maxAttempts: 2 });
  const topicArn = busTopicArn(stacks);

  return {
    topicArn,
    /**
     * Validates, then publishes as the services' publisher does (libs/events
     * createSnsPublisher): the envelope as the message, `type`, `eventId` and
     * `correlationId` as message attributes.
     * @param {unknown} candidate
     */
    publish: async (candidate) => {
      const checked = await validateEvent(candidate);
      if (!checked.ok) return checked;
      if (!topicArn) return { ok: false, issues: ['no event bus topic in the local stack'] };
      const { event } = checked;
      const { MessageId } = await sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Message: JSON.stringify(event),
          MessageAttributes: {
            type: { DataType: 'String', StringValue: event.type },
            eventId: { DataType: 'String', StringValue: event.id },
            ...(event.correlationId && { correlationId: { DataType: 'String', StringValue: event.correlationId } }),
          },
        }),
      );
      return { ok: true, event, messageId: MessageId, topicArn };
    },
    close: () => sns.destroy(),
  };
};
