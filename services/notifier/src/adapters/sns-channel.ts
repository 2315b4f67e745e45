import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { captureAWSv3Client } from '@platform/observability';
import type { Notification, NotificationChannel } from '../domain';

/** Publishes notifications to the customer-notifications topic; email/SMS subscribers hang off it. */
export class SnsNotificationChannel implements NotificationChannel {
  readonly name = 'sns';

  constructor(
    private readonly topicArn: string,
    // Traced in AWS: each send is a subsegment of the invocation's trace.
    private readonly client: SNSClient = captureAWSv3Client(new SNSClient({})),
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
