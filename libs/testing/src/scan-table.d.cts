// Types of scan-table.cjs, for the TypeScript that loads it.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export declare function scanTable(client: DynamoDBClient, table: string): Promise<Record<string, any>[]>;
