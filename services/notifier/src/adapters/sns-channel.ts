import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Notification, NotificationChannel } from '../domain';

/** Publishes notifications to the customer-notifications topic; email/SMS subscribers hang off it. */
export class SnsNotificationChannel implements NotificationChannel {
  readonly name = 'sns';

  constructor(
    private readonly topicArn: string,
    private readonly client: SNSClient = new SNSClient({}),
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
