import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { captureAWSv3Client } from '@platform/observability';

let documentClient: DynamoDBDocumentClient | undefined;

/**
 * One DocumentClient per Lambda container, created on first use and reused
 * across invocations. The endpoint is not configured here: locally the
 * standard `AWS_ENDPOINT_URL_DYNAMODB` variable points the SDK at DynamoDB
 * Local, and in AWS it is unset, so the same bundle runs in both places.
 * In AWS its calls are traced (captureAWSv3Client).
 */
export const getDocumentClient = (): DynamoDBDocumentClient => {
  documentClient ??= DynamoDBDocumentClient.from(captureAWSv3Client(new DynamoDBClient({})), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  return documentClient;
};

/** Tests that change the environment between files call this to start afresh. */
export const resetDocumentClient = (): void => {
  documentClient?.destroy();
  documentClient = undefined;
};
