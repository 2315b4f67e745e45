import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClient, awsClientConfig } from '@platform/observability';

let documentClient: DynamoDBDocumentClient | undefined;

/**
 * One DocumentClient per Lambda container, created on first use and reused
 * across invocations. The endpoint is not configured here: locally the
 * standard `AWS_ENDPOINT_URL_DYNAMODB` variable points the SDK at DynamoDB
 * Local, and in AWS it is unset, so the same bundle runs in both places.
 * Its calls keep to the invocation's deadline, each attempt bounded
 * (awsClient: a hung store is a 503, not a timeout), and are traced in AWS.
 */
export const getDocumentClient = (): DynamoDBDocumentClient => {
  documentClient ??= DynamoDBDocumentClient.from(awsClient(new DynamoDBClient(awsClientConfig())), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  return documentClient;
};

/** Tests that change the environment between files call this to start afresh. */
export const resetDocumentClient = (): void => {
  documentClient?.destroy();
  documentClient = undefined;
};
