import { ConflictError, NotFoundError, PayloadTooLargeError } from '@platform/errors';
import { createTestTable, type TestTable } from '@platform/testing';
import { createCursorCodec, entityKey, GSI1, Table, TransactionCancelledError } from '../src';

// Against DynamoDB Local, in a table of its own: the lib's single-table layout.
let testTable: TestTable;
let table: Table;
const codec = createCursorCodec('integration-secret-0123456789');

beforeAll(async () => {
  testTable = await createTestTable({
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: GSI1.partition, AttributeType: 'S' },
      { AttributeName: GSI1.sort, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: GSI1.name,
        KeySchema: [
          { AttributeName: GSI1.partition, KeyType: 'HASH' },
          { AttributeName: GSI1.sort, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  });
  table = new Table(testTable.name);
});

afterAll(() => testTable.drop());

const thing = (id: string, extra: Record<string, unknown> = {}) => ({
  ...entityKey('THING', id),
  id,
  version: 1,
  ...extra,
});

describe('Table against DynamoDB Local', () => {
  it('creates a record once and refuses a second create with the same key', async () => {
    await table.createIfAbsent(thing('a', { colour: 'red' }), 'Thing a');
    await expect(table.createIfAbsent(thing('a', { colour: 'blue' }), 'Thing a')).rejects.toThrow(ConflictError);
    expect(await table.get(entityKey('THING', 'a'))).toMatchObject({ colour: 'red' });
  });

  it('returns undefined for a missing record', async () => {
    expect(await table.get(entityKey('THING', 'missing'))).toBeUndefined();
  });

  it('updates only at the expected version and bumps it', async () => {
    await table.createIfAbsent(thing('v'), 'Thing v');
    const updated = await table.updateWithVersion<{ version: number; colour: string }>({
      key: entityKey('THING', 'v'),
      expectedVersion: 1,
      changes: { colour: 'green', ignored: undefined },
      label: 'Thing v',
    });
    expect(updated).toMatchObject({ version: 2, colour: 'green' });
    expect(updated).not.toHaveProperty('ignored');

    await expect(
      table.updateWithVersion({ key: entityKey('THING', 'v'), expectedVersion: 1, changes: { colour: 'x' }, label: 'Thing v' }),
    ).rejects.toThrow(expect.objectContaining({ name: 'ConflictError', message: 'Thing v is at version 2, not 1' }));
  });

  it('reports an update of a missing record as not found', async () => {
    await expect(
      table.updateWithVersion({ key: entityKey('THING', 'none'), expectedVersion: 1, changes: { a: 1 }, label: 'Thing none' }),
    ).rejects.toThrow(NotFoundError);
  });

  it('lets exactly one of two concurrent updates at the same version win', async () => {
    await table.createIfAbsent(thing('race'), 'Thing race');
    const attempts = await Promise.allSettled(
      [1, 2].map((n) =>
        table.updateWithVersion({ key: entityKey('THING', 'race'), expectedVersion: 1, changes: { n }, label: 'race' }),
      ),
    );
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    expect(attempts.filter((a) => a.status === 'rejected' && a.reason instanceof ConflictError)).toHaveLength(1);
  });

  it('deletes an existing record and reports a missing one', async () => {
    await table.createIfAbsent(thing('d'), 'Thing d');
    await expect(table.deleteExisting(entityKey('THING', 'd'), 'Thing d')).resolves.toMatchObject({ id: 'd' });
    await expect(table.deleteExisting(entityKey('THING', 'd'), 'Thing d')).rejects.toThrow(NotFoundError);
  });

  it('pages through a partition with signed cursors', async () => {
    for (let i = 0; i < 5; i += 1) {
      await table.createIfAbsent(thing(`p${i}`, { [GSI1.partition]: 'PAGED', [GSI1.sort]: `s${i}` }), `p${i}`);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await table.queryPage<{ id: string }>({
        indexName: GSI1.name,
        partitionKeyName: GSI1.partition,
        partitionKeyValue: 'PAGED',
        limit: 2,
        cursor,
        codec,
      });
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor ?? undefined;
      pages += 1;
    } while (cursor);
    expect(seen).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    expect(pages).toBe(3);
  });

  it('refuses a cursor issued for another partition', async () => {
    const page = await table.queryPage({
      indexName: GSI1.name,
      partitionKeyName: GSI1.partition,
      partitionKeyValue: 'PAGED',
      limit: 1,
      codec,
    });
    await expect(
      table.queryPage({
        indexName: GSI1.name,
        partitionKeyName: GSI1.partition,
        partitionKeyValue: 'OTHER',
        limit: 1,
        cursor: page.nextCursor ?? undefined,
        codec,
      }),
    ).rejects.toThrow(/cursor is invalid/);
  });

  it('writes a transaction all or nothing, naming the item whose condition failed', async () => {
    await table.createIfAbsent(thing('t1'), 't1');
    const error = await table
      .transactWrite([
        { Put: { TableName: testTable.name, Item: thing('t2') } },
        {
          Put: {
            TableName: testTable.name,
            Item: thing('t1'),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionCancelledError);
    expect((error as TransactionCancelledError).failedCondition(1)).toBe(true);
    expect(await table.get(entityKey('THING', 't2'))).toBeUndefined();

    await table.transactWrite([{ Put: { TableName: testTable.name, Item: thing('t2') } }]);
    expect(await table.get(entityKey('THING', 't2'))).toMatchObject({ id: 't2' });
  });

  it('maps an item over 400 KB to PayloadTooLargeError', async () => {
    await expect(table.createIfAbsent(thing('big', { blob: 'x'.repeat(410 * 1024) }), 'big')).rejects.toThrow(
      PayloadTooLargeError,
    );
  });
});
