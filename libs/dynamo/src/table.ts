import {
  DeleteCommand,
  type DeleteCommandInput,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { ConflictError, NotFoundError } from '@platform/errors';
import { getDocumentClient } from './client';
import type { CursorCodec } from './cursor';
import { mapDynamoError, mappingErrors, TransactionCancelledError } from './errors';
import { KEY, type TableKey } from './keys';

export type TransactItems = NonNullable<TransactWriteCommandInput['TransactItems']>;

export interface VersionedUpdate {
  key: TableKey;
  expectedVersion: number;
  /** Attributes to set; `undefined` values are left untouched. */
  changes: Record<string, unknown>;
  /** What to call the record in a NotFound message, e.g. "Item 01H…". */
  label: string;
}

export interface PageRequest {
  indexName?: string;
  partitionKeyName: string;
  partitionKeyValue: string;
  limit: number;
  cursor?: string;
  codec: CursorCodec;
  newestFirst?: boolean;
}

/** A key condition on the table or one of its indexes, with its placeholders' names and values. */
export interface QueryRequest {
  indexName?: string;
  keyCondition: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

const VERSION = 'version';
const UPDATED_AT = 'updatedAt';

/** The operations the services need on one table, each mapping SDK errors to domain errors. */
export class Table {
  constructor(
    readonly name: string,
    private readonly client: DynamoDBDocumentClient = getDocumentClient(),
  ) {}

  async get<T>(key: TableKey, consistentRead = false): Promise<T | undefined> {
    const { Item } = await mappingErrors(() =>
      this.client.send(new GetCommand({ TableName: this.name, Key: key, ConsistentRead: consistentRead })),
    );
    return Item as T | undefined;
  }

  /** A put with the caller's own condition; a failed condition is a ConflictError. */
  async put(input: Omit<PutCommandInput, 'TableName'>): Promise<void> {
    await mappingErrors(() => this.client.send(new PutCommand({ ...input, TableName: this.name })));
  }

  /**
   * An update with the caller's own expressions; a failed condition is a ConflictError.
   * Returns ALL_NEW, or with `UPDATED_OLD` what the updated attributes were before.
   */
  async update<T>(input: Omit<UpdateCommandInput, 'TableName' | 'ReturnValues'>, returnValues: 'ALL_NEW' | 'UPDATED_OLD' = 'ALL_NEW'): Promise<T> {
    const { Attributes } = await mappingErrors(() =>
      this.client.send(new UpdateCommand({ ...input, TableName: this.name, ReturnValues: returnValues })),
    );
    return (Attributes ?? {}) as T;
  }

  /** A delete with the caller's own condition; a failed condition is a ConflictError. */
  async delete(input: Omit<DeleteCommandInput, 'TableName'>): Promise<void> {
    await mappingErrors(() => this.client.send(new DeleteCommand({ ...input, TableName: this.name })));
  }

  /** Writes a new record; a record with the same key already there is a ConflictError. */
  async createIfAbsent(record: TableKey & Record<string, unknown>, label: string): Promise<void> {
    try {
      await mappingErrors(() =>
        this.client.send(
          new PutCommand({
            TableName: this.name,
            Item: record,
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': KEY.partition },
          }),
        ),
      );
    } catch (error) {
      if (error instanceof ConflictError) throw new ConflictError(`${label} already exists`, { cause: error });
      throw error;
    }
  }

  /**
   * Optimistic concurrency: applies `changes` only if the stored `version`
   * equals `expectedVersion`, and bumps it. Missing record → NotFoundError,
   * other version → ConflictError. Returns the new record.
   */
  async updateWithVersion<T>({ key, expectedVersion, changes, label }: VersionedUpdate): Promise<T> {
    const names: Record<string, string> = { '#pk': KEY.partition, '#version': VERSION, '#updatedAt': UPDATED_AT };
    const values: Record<string, unknown> = {
      ':expected': expectedVersion,
      ':one': 1,
      ':now': new Date().toISOString(),
    };
    const assignments = ['#version = #version + :one', '#updatedAt = :now'];
    Object.entries(changes)
      .filter(([, value]) => value !== undefined)
      .forEach(([attribute, value], index) => {
        names[`#f${index}`] = attribute;
        values[`:f${index}`] = value;
        assignments.push(`#f${index} = :f${index}`);
      });

    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.name,
          Key: key,
          UpdateExpression: `SET ${assignments.join(', ')}`,
          ConditionExpression: 'attribute_exists(#pk) AND #version = :expected',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return Attributes as T;
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') {
        const current = (error as { Item?: Record<string, { N?: string }> }).Item;
        if (!current) throw new NotFoundError(`${label} not found`);
        throw new ConflictError(
          `${label} is at version ${current[VERSION]?.N ?? 'unknown'}, not ${expectedVersion}`,
          { cause: error },
        );
      }
      throw mapDynamoError(error);
    }
  }

  /** Deletes a record that must exist; a missing one is a NotFoundError. Returns the deleted record. */
  async deleteExisting<T>(key: TableKey, label: string): Promise<T> {
    try {
      const { Attributes } = await mappingErrors(() =>
        this.client.send(
          new DeleteCommand({
            TableName: this.name,
            Key: key,
            ConditionExpression: 'attribute_exists(#pk)',
            ExpressionAttributeNames: { '#pk': KEY.partition },
            ReturnValues: 'ALL_OLD',
          }),
        ),
      );
      return Attributes as T;
    } catch (error) {
      if (error instanceof ConflictError) throw new NotFoundError(`${label} not found`);
      throw error;
    }
  }

  /** One page of a partition, with a encrypted cursor for the next page (null on the last one). */
  async queryPage<T>(request: PageRequest): Promise<Page<T>> {
    const scope = `${this.name}/${request.indexName ?? 'table'}/${request.partitionKeyValue}`;
    const startKey = request.cursor ? request.codec.decode(request.cursor, scope) : undefined;
    const { Items = [], LastEvaluatedKey } = await mappingErrors(() =>
      this.client.send(
        new QueryCommand({
          TableName: this.name,
          IndexName: request.indexName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': request.partitionKeyName },
          ExpressionAttributeValues: { ':pk': request.partitionKeyValue },
          Limit: request.limit,
          ExclusiveStartKey: startKey,
          ScanIndexForward: !request.newestFirst,
        }),
      ),
    );
    return {
      items: Items as T[],
      nextCursor: LastEvaluatedKey ? request.codec.encode(LastEvaluatedKey, scope) : null,
    };
  }

  /** Every item the key condition matches, following LastEvaluatedKey page after page (for small, bounded results such as a sparse index). */
  async queryAll<T>({ indexName, keyCondition, names, values }: QueryRequest): Promise<T[]> {
    const found: T[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const { Items = [], LastEvaluatedKey } = await mappingErrors(() =>
        this.client.send(
          new QueryCommand({
            TableName: this.name,
            IndexName: indexName,
            KeyConditionExpression: keyCondition,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      found.push(...(Items as T[]));
      startKey = LastEvaluatedKey;
    } while (startKey);
    return found;
  }

  /**
   * All-or-nothing write of up to 100 items. A cancelled transaction becomes a
   * TransactionCancelledError listing each item's reason. The client request
   * token makes a retried call within 10 minutes idempotent.
   */
  async transactWrite(items: TransactItems, clientRequestToken?: string): Promise<void> {
    await mappingErrors(() =>
      this.client.send(new TransactWriteCommand({ TransactItems: items, ClientRequestToken: clientRequestToken })),
    );
  }

  /**
   * transactWrite, run again (with jittered backoff) while it is cancelled for
   * a temporary reason such as a concurrent transaction on the same item
   * (TransactionConflict). DynamoDB Local runs transactions one at a time and
   * never reports such conflicts; DynamoDB does under contention.
   */
  async transactWriteRetrying(items: TransactItems, { attempts = 5, baseDelayMs = 25 } = {}): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.transactWrite(items);
      } catch (error) {
        if (!(error instanceof TransactionCancelledError && error.retryable) || attempt >= attempts) throw error;
        await new Promise((resolve) => setTimeout(resolve, baseDelayMs * 2 ** attempt * Math.random()));
      }
    }
  }
}
