import { createCursorCodec, Table } from '@platform/dynamo';
import { NotFoundError, TemporarilyUnavailableError } from '@platform/errors';
import { serviceTableForFile } from '@platform/testing';
import { DynamoItemStore } from '../../src/adapters/dynamo-item-store';
import { itemKey } from '../../src/adapters/items-table';
import { ItemsService } from '../../src/domain';

// A delete stamps the row, then deletes it if it still has its stamp. Between the two, another
// write may restamp it: a delete racing this one, or the late write of a delete that a stalled
// store made the client give up on (its request was still queued, and applied after). The
// client must never get a 404 for an item that is still there.
const testTable = serviceTableForFile('items-api', 'ItemsTable', (name) => new Table(name));

/** A table whose item stamps are followed, `times` times, by another write restamping the row (or deleting it). */
const racedTable = (times: number, race: 'restamp' | 'delete' = 'restamp') => {
  let left = times;
  const raced = new Table(testTable.name);
  const update = raced.update.bind(raced);
  raced.update = (async (input: Parameters<Table['update']>[0], returnValues?: 'ALL_NEW' | 'UPDATED_OLD') => {
    const result = await update(input, returnValues);
    if (input.UpdateExpression === 'SET #deletedAt = :deletedAt' && left > 0) {
      left -= 1;
      if (race === 'delete') await testTable.table.delete({ Key: input.Key });
      else await testTable.table.update({ Key: input.Key, UpdateExpression: 'SET deletedAt = :stale', ExpressionAttributeValues: { ':stale': `stale-${left}` } });
    }
    return result;
  }) as Table['update'];
  return raced;
};

const catalogue = (on: Table, stockShards = 1) => new ItemsService(new DynamoItemStore(on, createCursorCodec('delete-races-secret'), { stockShards }));

describe.each([1, 4])('a delete raced between its stamp and its delete (%i stock shard(s))', (shards) => {
  it('stamps again and deletes the item when a late write restamped it', async () => {
    const item = await catalogue(testTable.table, shards).create({ name: 'lamp', priceCents: 1, stock: 3 });
    await expect(catalogue(racedTable(2), shards).remove(item.id)).resolves.toEqual({});
    expect(await testTable.table.get(itemKey(item.id), true)).toBeUndefined();
  });

  it('answers 503, not 404, and leaves the item, when it is restamped on every try', async () => {
    const item = await catalogue(testTable.table, shards).create({ name: 'lamp', priceCents: 1, stock: 3 });
    await expect(catalogue(racedTable(3), shards).remove(item.id)).rejects.toBeInstanceOf(TemporarilyUnavailableError);
    expect(await testTable.table.get(itemKey(item.id), true)).toBeDefined();
  });

  it('answers 404 when another delete removed it meanwhile', async () => {
    const item = await catalogue(testTable.table, shards).create({ name: 'lamp', priceCents: 1, stock: 3 });
    await expect(catalogue(racedTable(1, 'delete'), shards).remove(item.id)).rejects.toBeInstanceOf(NotFoundError);
  });
});
