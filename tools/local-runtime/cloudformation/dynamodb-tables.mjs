// Creates the AWS::DynamoDB::Table resources of a compiled template in DynamoDB Local.
import { CreateTableCommand, DescribeTableCommand, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { LOCAL_ACCOUNT_ID, resourcesOfType } from './cfn.mjs';

// CloudFormation-only properties that CreateTable does not take (or DynamoDB Local ignores).
const NOT_FOR_CREATE_TABLE = [
  'PointInTimeRecoverySpecification',
  'SSESpecification',
  'Tags',
  'TimeToLiveSpecification',
  'ContributorInsightsSpecification',
  'DeletionProtectionEnabled',
  'KinesisStreamSpecification',
  'ResourcePolicy',
];

/**
 * @param {{ client: import('@aws-sdk/client-dynamodb').DynamoDBClient, template: import('@platform/local-runtime/types').CfnTemplate, resolve: import('@platform/local-runtime/types').Resolve,
 *   physicalIds: import('@platform/local-runtime/types').PhysicalIds, region: string }} stack
 * @returns {Promise<string[]>} the names of the tables created
 */
export const createTables = async ({ client, template, resolve, physicalIds, region }) => {
  /** @type {string[]} */
  const created = [];
  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::DynamoDB::Table')) {
    const properties = resolve(resource.Properties);
    NOT_FOR_CREATE_TABLE.forEach((property) => delete properties[property]);
    if (properties.StreamSpecification) properties.StreamSpecification.StreamEnabled = true;
    try {
      await client.send(new CreateTableCommand(properties));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    const { Table } = await client.send(new DescribeTableCommand({ TableName: properties.TableName }));
    physicalIds.set(logicalId, {
      ref: properties.TableName,
      attributes: {
        Arn: `arn:aws:dynamodb:${region}:${LOCAL_ACCOUNT_ID}:table/${properties.TableName}`,
        StreamArn: Table?.LatestStreamArn,
      },
    });
    created.push(properties.TableName);
  }
  return created;
};
