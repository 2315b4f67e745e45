import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { awsClient, awsClientConfig } from '@platform/observability';
import type { Notification, NotificationChannel } from '../domain';

/** Publishes notifications to the customer-notifications topic; email/SMS subscribers hang off it. */
export class SnsNotificationChannel implements NotificationChannel {
  readonly name = 'sns';

  constructor(
    private readonly topicArn: string,
    // Bounded by the invocation's deadline, and traced in AWS.
    private readonly client: SNSClient = awsClient(new SNSClient(awsClientConfig())),
  ) {}

  async send({ recipient, subject, text }: Notification): Promise<void> {
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: subject,
        Message: text,
        MessageAttributes: { recipient: { DataType: 'String', StringValue: recipient } },
      }),
    );
  }
}
