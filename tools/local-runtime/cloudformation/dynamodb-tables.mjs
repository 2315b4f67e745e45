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

/** @param {Array<{ AttributeName?: string, KeyType?: string }> | undefined} keys */
const keysText = (keys) => (keys ?? []).map((key) => `${key.AttributeName} ${key.KeyType}`).join(', ');

/**
 * How a table kept from an earlier run (LOCAL_PERSIST=1) differs from what the
 * template declares now, in what CreateTable would have set: its keys, its
 * indexes and its stream. Undefined when it does not.
 * @param {any} declared the CreateTable input @param {import('@aws-sdk/client-dynamodb').TableDescription | undefined} actual
 */
export const tableDrift = (declared, actual) => {
  if (!actual) return undefined;
  const differences = [];
  if (keysText(declared.KeySchema) !== keysText(actual.KeySchema)) differences.push(`key ${keysText(actual.KeySchema)}, not ${keysText(declared.KeySchema)}`);
  /** @param {Array<{ IndexName?: string, KeySchema?: any[] }> | undefined} indexes */
  const indexes = (indexes) => (indexes ?? []).map((index) => `${index.IndexName} (${keysText(index.KeySchema)})`).sort().join('; ');
  for (const kind of /** @type {const} */ (['GlobalSecondaryIndexes', 'LocalSecondaryIndexes'])) {
    if (indexes(declared[kind]) !== indexes(actual[kind])) differences.push(`${kind} ${indexes(actual[kind]) || 'none'}, not ${indexes(declared[kind]) || 'none'}`);
  }
  const streamOf = (/** @type {any} */ spec) => (spec?.StreamEnabled ? spec.StreamViewType : 'none');
  if (streamOf(declared.StreamSpecification) !== streamOf(actual.StreamSpecification)) {
    differences.push(`stream ${streamOf(actual.StreamSpecification)}, not ${streamOf(declared.StreamSpecification)}`);
  }
  return differences.length > 0 ? differences.join('; ') : undefined;
};

/**
 * Creates each table, or takes the one that is there already (a table kept
 * from an earlier run with LOCAL_PERSIST=1: CreateTable answers ResourceInUse),
 * saying how it differs from the template when it does.
 * @param {{ client: import('@aws-sdk/client-dynamodb').DynamoDBClient, template: import('@platform/local-runtime/types').CfnTemplate, resolve: import('@platform/local-runtime/types').Resolve,
 *   physicalIds: import('@platform/local-runtime/types').PhysicalIds, region: string }} stack
 * @returns {Promise<Array<{ name: string, existed: boolean, drift?: string }>>} the tables, each created or found
 */
export const createTables = async ({ client, template, resolve, physicalIds, region }) => {
  /** @type {Array<{ name: string, existed: boolean, drift?: string }>} */
  const created = [];
  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::DynamoDB::Table')) {
    const properties = resolve(resource.Properties);
    NOT_FOR_CREATE_TABLE.forEach((property) => delete properties[property]);
    if (properties.StreamSpecification) properties.StreamSpecification.StreamEnabled = true;
    let existed = false;
    try {
      await client.send(new CreateTableCommand(properties));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
      existed = true;
    }
    const { Table } = await client.send(new DescribeTableCommand({ TableName: properties.TableName }));
    physicalIds.set(logicalId, {
      ref: properties.TableName,
      attributes: {
        Arn: `arn:aws:dynamodb:${region}:${LOCAL_ACCOUNT_ID}:table/${properties.TableName}`,
        StreamArn: Table?.LatestStreamArn,
      },
    });
    const drift = existed ? tableDrift(properties, Table) : undefined;
    created.push({ name: properties.TableName, existed, ...(drift && { drift }) });
  }
  return created;
};
