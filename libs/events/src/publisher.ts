import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { requiredEnv } from '@platform/errors';
import { awsClient, awsClientConfig } from '@platform/observability';
import { EventSchemas, type DomainEvent } from './contracts';
import { InvalidEventError } from './parse';

export interface EventPublisher {
  publish(event: DomainEvent): Promise<void>;
}

let snsClient: SNSClient | undefined;

/** One SNS client per container, bounded by the invocation's deadline and traced in AWS; locally AWS_ENDPOINT_URL_SNS points it at the emulator. */
const getSnsClient = (): SNSClient => {
  snsClient ??= awsClient(new SNSClient(awsClientConfig()));
  return snsClient;
};

/**
 * Publishes validated events to a topic, with `type` as a message attribute for
 * filter policies, and the event id and correlation id as attributes too, so
 * they can be read off a message (`npm run dlq -- peek`) without parsing it.
 */
export const createSnsPublisher = (topicArn: string, client: SNSClient = getSnsClient()): EventPublisher => ({
  async publish(event) {
    const result = EventSchemas[event.type].safeParse(event);
    if (!result.success) {
      throw new InvalidEventError(
        `Refusing to publish an invalid ${event.type} event`,
        result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
      );
    }
    await client.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: JSON.stringify(result.data),
        MessageAttributes: {
          type: { DataType: 'String', StringValue: event.type },
          eventId: { DataType: 'String', StringValue: event.id },
          ...(event.correlationId && { correlationId: { DataType: 'String', StringValue: event.correlationId } }),
        },
      }),
    );
  },
});

let envPublisher: EventPublisher | undefined;

/** The publisher for the topic named by EVENTS_TOPIC_ARN, built once per container. */
export const eventPublisherFromEnv = (): EventPublisher => {
  if (!envPublisher) {
    envPublisher = createSnsPublisher(requiredEnv('EVENTS_TOPIC_ARN'));
  }
  return envPublisher;
};
