import { createCursorCodec, Table } from '@platform/dynamo';
import { ConflictError, NotFoundError } from '@platform/errors';
import { createServiceTable, type TestTable } from '@platform/testing';
import { ItemsService } from '../../src/domain';

// The domain against DynamoDB Local, in a table built from serverless.yml's own definition.
let testTable: TestTable;
let items: ItemsService;

beforeAll(async () => {
  testTable = await createServiceTable('items-api', 'ItemsTable');
  items = new ItemsService(new Table(testTable.name), createCursorCodec('items-integration-secret'));
});

afterAll(() => testTable.drop());

describe('ItemsService', () => {
  it('creates an item at version 1 and reads it back without storage keys', async () => {
    const created = await items.create({ name: 'pen', priceCents: 120, stock: 5 });
    expect(created).toMatchObject({ name: 'pen', priceCents: 120, stock: 5, version: 1 });
    expect(created.createdAt).toBe(created.updatedAt);
    const read = await items.get(created.id);
    expect(read).toEqual(created);
    expect(Object.keys(read)).not.toEqual(expect.arrayContaining(['pk']));
  });

  it('reports an unknown id as not found', async () => {
    await expect(items.get('no-such-item')).rejects.toThrow(NotFoundError);
    await expect(items.remove('no-such-item')).rejects.toThrow(NotFoundError);
    await expect(items.update('no-such-item', { expectedVersion: 1, stock: 1 })).rejects.toThrow(NotFoundError);
  });

  it('updates at the expected version and refuses a stale one', async () => {
    const item = await items.create({ name: 'cup', priceCents: 300, stock: 1 });
    const updated = await items.update(item.id, { expectedVersion: 1, stock: 7, description: 'blue' });
    expect(updated).toMatchObject({ id: item.id, stock: 7, description: 'blue', version: 2, name: 'cup' });
    await expect(items.update(item.id, { expectedVersion: 1, stock: 8 })).rejects.toThrow(ConflictError);
    expect((await items.get(item.id)).stock).toBe(7);
  });

  it('deletes an item', async () => {
    const item = await items.create({ name: 'bin', priceCents: 1, stock: 0 });
    await items.remove(item.id);
    await expect(items.get(item.id)).rejects.toThrow(NotFoundError);
  });

  it('lists every item exactly once across pages', async () => {
    const created = [];
    for (let i = 0; i < 5; i += 1) created.push(await items.create({ name: `page-${i}`, priceCents: i, stock: i }));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await items.list(2, cursor);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(created.map((item) => item.id)));
  });
});
