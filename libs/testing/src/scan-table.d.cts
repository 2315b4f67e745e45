// Types of scan-table.cjs, for the TypeScript that loads it.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a row is whatever its table holds; tests read its fields
export declare function scanTable(client: DynamoDBClient, table: string): Promise<Record<string, any>[]>;
