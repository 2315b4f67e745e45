// Read-only browsing of the services' tables: the list comes from the
// compiled templates (each AWS::DynamoDB::Table, labelled with the service
// whose template declares it), the rows from DynamoDB Local, straight from
// its port with the local administrator's credentials. Nothing here writes.
import { DescribeTableCommand, DynamoDBClient, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { localClientConfig } from '@platform/local-runtime/aws';
import { resourcesOfType } from '@platform/local-runtime/cloudformation/cfn';

export class TableError extends Error {
  /** @param {string} message @param {number} status */
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

const MAX_PAGE = 100;

/**
 * @typedef {{ name: string, service: string, keys: Array<{ name: string, role: 'partition' | 'sort', type: string }>,
 *   indexes: string[], stream: boolean }} TableInfo
 */

/**
 * Every table of every compiled stack, with its key schema.
 * @param {Array<{ name: string, template: any, resolve?: (value: any) => any }>} stacks
 * @returns {TableInfo[]}
 */
export const tablesOf = (stacks) =>
  stacks.flatMap((stack) =>
    resourcesOfType(stack.template, 'AWS::DynamoDB::Table').map(([, resource]) => {
      const properties = stack.resolve ? stack.resolve(resource.Properties) : resource.Properties;
      const types = Object.fromEntries((properties.AttributeDefinitions ?? []).map((/** @type {{ AttributeName: string, AttributeType: string }} */ a) => [a.AttributeName, a.AttributeType]));
      return {
        name: String(properties.TableName),
        service: stack.name,
        keys: (properties.KeySchema ?? []).map((/** @type {{ AttributeName: string, KeyType: string }} */ k) => ({ name: k.AttributeName, role: k.KeyType === 'HASH' ? 'partition' : 'sort', type: types[k.AttributeName] ?? 'S' })),
        indexes: (properties.GlobalSecondaryIndexes ?? []).map((/** @type {{ IndexName: string }} */ index) => index.IndexName),
        stream: Boolean(properties.StreamSpecification),
      };
    }),
  );

/** @param {Record<string, unknown> | undefined} key */
const encodeCursor = (key) => (key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined);
/** @param {string} cursor @returns {Record<string, unknown>} */
const decodeCursor = (cursor) => {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new TableError('bad cursor', 400);
  }
};

/**
 * @param {{ stacks: any[], endpoint: string }} options
 */
export const createTables = ({ stacks, endpoint }) => {
  const client = new DynamoDBClient({ ...localClientConfig(endpoint), maxAttempts: 2 });
  const tables = tablesOf(stacks);
  /** @param {string} name */
  const find = (name) => {
    const table = tables.find((t) => t.name === name);
    if (!table) throw new TableError(`no table named ${name}; tables: ${tables.map((t) => t.name).join(', ')}`, 404);
    return table;
  };

  return {
    /** Every table, with its approximate row count. */
    list: async () =>
      Promise.all(
        tables.map(async (table) => {
          const { Table } = await client.send(new DescribeTableCommand({ TableName: table.name }));
          return { ...table, rowCount: Table?.ItemCount };
        }),
      ),
    /**
     * A page of rows, as the table's scan returns them.
     * @param {string} name @param {{ limit?: number, cursor?: string }} options
     */
    scan: async (name, { limit = 25, cursor } = {}) => {
      const table = find(name);
      const Limit = Math.max(1, Math.min(MAX_PAGE, Number(limit) || 25));
      const { Items = [], LastEvaluatedKey } = await client.send(
        new ScanCommand({ TableName: table.name, Limit, ...(cursor && { ExclusiveStartKey: marshall(decodeCursor(cursor)) }) }),
      );
      return { table, rows: Items.map((row) => unmarshall(row)), nextCursor: encodeCursor(LastEvaluatedKey && unmarshall(LastEvaluatedKey)) };
    },
    /**
     * One row by its full key, given as text per key attribute.
     * @param {string} name @param {Record<string, string>} key
     */
    get: async (name, key) => {
      const table = find(name);
      /** @type {Record<string, import('@aws-sdk/client-dynamodb').AttributeValue>} */
      const Key = {};
      for (const { name: attribute, type } of table.keys) {
        const value = key[attribute];
        if (value === undefined || value === '') throw new TableError(`the key needs ${table.keys.map((k) => k.name).join(' and ')}; ${attribute} is missing`, 400);
        Key[attribute] = type === 'N' ? { N: value } : { S: value };
      }
      const { Item } = await client.send(new GetItemCommand({ TableName: table.name, Key, ConsistentRead: true }));
      return { table, row: Item ? unmarshall(Item) : undefined };
    },
    close: () => client.destroy(),
  };
};
