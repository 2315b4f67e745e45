import { randomUUID } from 'node:crypto';
import path from 'node:path';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';

// osls's own reader, so the CloudFormation tags (!GetAtt, !Ref…) parse exactly as in a deploy.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const readConfiguration: (file: string) => Promise<Record<string, any>> = require('serverless/lib/configuration/read');

const ROOT = path.resolve(__dirname, '../../..');
const CFN_ONLY = ['PointInTimeRecoverySpecification', 'SSESpecification', 'Tags', 'TimeToLiveSpecification'];

export interface TestTable {
  name: string;
  drop(): Promise<void>;
}

/** Creates a uniquely named table in DynamoDB Local (AWS_ENDPOINT_URL_DYNAMODB). */
export const createTestTable = async (definition: Omit<CreateTableCommandInput, 'TableName'>): Promise<TestTable> => {
  const client = new DynamoDBClient({});
  const name = `test-${randomUUID()}`;
  await client.send(new CreateTableCommand({ ...definition, TableName: name }));
  return {
    name,
    async drop() {
      await client.send(new DeleteTableCommand({ TableName: name }));
      client.destroy();
    },
  };
};

/**
 * Creates a table with the same definition a service deploys: the
 * `resources` entry `logicalId` of services/<service>/serverless.yml.
 */
export const createServiceTable = async (service: string, logicalId: string): Promise<TestTable> => {
  const config = await readConfiguration(path.join(ROOT, 'services', service, 'serverless.yml'));
  const resource = config.resources?.Resources?.[logicalId];
  if (resource?.Type !== 'AWS::DynamoDB::Table') throw new Error(`${service} has no table ${logicalId}`);
  const { TableName: _name, StreamSpecification, ...properties } = resource.Properties;
  CFN_ONLY.forEach((property) => delete properties[property]);
  return createTestTable({
    ...properties,
    ...(StreamSpecification && { StreamSpecification: { ...StreamSpecification, StreamEnabled: true } }),
  });
};

/** A service's table for the tests of one jest file (serviceTableForFile). */
export interface FileTable<T> {
  /** Its name in DynamoDB Local. */
  readonly name: string;
  /** What `open` made of it (the services' own Table: this lib cannot import it, its tests import this lib). */
  readonly table: T;
}

/**
 * The service's table (createServiceTable) for the tests of the jest file that
 * calls this at its top: created before them, dropped after them. Read it in a
 * hook or a test, not while the file loads.
 */
export const serviceTableForFile = <T>(service: string, logicalId: string, open: (name: string) => T): FileTable<T> => {
  let created: { testTable: TestTable; table: T } | undefined;
  beforeAll(async () => {
    const testTable = await createServiceTable(service, logicalId);
    created = { testTable, table: open(testTable.name) };
  });
  afterAll(() => created?.testTable.drop());
  const ready = () => {
    if (!created) throw new Error(`${service}'s ${logicalId} is made before the file's tests: read it in a hook or a test`);
    return created;
  };
  return {
    get name() {
      return ready().testTable.name;
    },
    get table() {
      return ready().table;
    },
  };
};
