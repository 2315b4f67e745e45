import { randomUUID } from 'node:crypto';
import { createCursorCodec, Table } from '@platform/dynamo';
import { serviceTableForFile } from '@platform/testing';
import fc from 'fast-check';
import { DynamoItemStore } from '../../src/adapters/dynamo-item-store';
import { DynamoReservationStore, StockContendedError } from '../../src/adapters/dynamo-reservation-store';
import { stockShardKey } from '../../src/adapters/items-table';
import { ItemsService, StockKeeper, type Reservation, type StockRequest } from '../../src/domain';

// Properties of the stock store on DynamoDB Local, for the single-row layout
// (1 shard: the item's row holds the stock) and for counter shards alike
// (docs/decisions/0011-hot-item-stock.md): never more reserved than there was,
// one answer per order, and no order refused while the item had the stock it
// asked for.
const testTable = serviceTableForFile('items-api', 'ItemsTable', (name) => new Table(name));

// The single-row layout the shards replace, and 4 shards. Kept small: DynamoDB Local
// answers in milliseconds, and npm test runs this file every time.
const LAYOUTS = [1, 4];
// STOCK_PROPERTY_RUNS=50 for a longer search by hand.
const RUNS = Number(process.env.STOCK_PROPERTY_RUNS ?? 3);
jest.setTimeout(60_000 + RUNS * 5_000);
const catalogue = (stockShards: number) => new ItemsService(new DynamoItemStore(testTable.table, createCursorCodec('stock-property-secret'), { stockShards }));
// A fresh reservation store per keeper, as a fresh Lambda container has.
const keeper = () => new StockKeeper(new DynamoReservationStore(testTable.table));

/** What SQS does with a record that failed: delivers it again, until it is answered. */
const answerEventually = async (request: StockRequest): Promise<Reservation> => {
  for (let delivery = 1; ; delivery += 1) {
    try {
      return await keeper().answer(request);
    } catch (error) {
      if (!(error instanceof StockContendedError) || delivery >= 5) throw error;
    }
  }
};

const shardStocks = async (itemId: string, shards: number): Promise<number[]> => {
  const rows = await Promise.all(Array.from({ length: shards }, (_, shard) => testTable.table.get<{ stock: number }>(stockShardKey(itemId, shard), true)));
  return rows.map((row) => row?.stock ?? Number.NaN);
};

type Step = { kind: 'order'; quantity: number } | { kind: 'again'; pick: number } | { kind: 'restock'; stock: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('order' as const), quantity: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('again' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restock' as const), stock: fc.integer({ min: 0, max: 12 }) }) },
);

describe.each(LAYOUTS)('stock in %i shard(s), on DynamoDB Local', (shards) => {
  it('answers one order after another exactly as a single counter would: stock, version and every answer', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 15 }), fc.array(step, { minLength: 1, maxLength: 7 }), async (initial, steps) => {
        const items = catalogue(shards);
        const item = await items.create({ name: 'hot', priceCents: 1, stock: initial });
        const model = { stock: initial, version: 1 };
        const answered: Array<{ request: StockRequest; answer: Reservation }> = [];
        for (const next of steps) {
          if (next.kind === 'restock') {
            const restocked = await items.update(item.id, { expectedVersion: model.version, stock: next.stock });
            Object.assign(model, { stock: next.stock, version: model.version + 1 });
            expect(restocked).toMatchObject(model);
          } else if (next.kind === 'again' && answered.length > 0) {
            const earlier = answered[next.pick % answered.length]!;
            // A redelivered order: its first answer, nothing changed.
            expect(await keeper().answer(earlier.request)).toEqual(earlier.answer);
          } else if (next.kind === 'order') {
            const request = { orderId: randomUUID(), itemId: item.id, quantity: next.quantity };
            const answer = await keeper().answer(request);
            const enough = model.stock >= next.quantity;
            expect(answer).toMatchObject(enough ? { status: 'RESERVED' } : { status: 'REJECTED', reason: 'OUT_OF_STOCK' });
            if (enough) Object.assign(model, { stock: model.stock - next.quantity, version: model.version + 1 });
            answered.push({ request, answer });
          }
          expect(await items.get(item.id)).toMatchObject(model);
        }
        if (shards > 1) for (const stock of await shardStocks(item.id, shards)) expect(stock).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: RUNS },
    );
  });

  it('never reserves more than the stock, answers each order once, and refuses none while the stock it asks for remains, under concurrency', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 30 }),
        fc.array(fc.record({ quantity: fc.integer({ min: 1, max: 4 }), deliveries: fc.integer({ min: 1, max: 2 }) }), { minLength: 1, maxLength: 24 }),
        async (initial, orders) => {
          const items = catalogue(shards);
          const item = await items.create({ name: 'hot', priceCents: 1, stock: initial });
          const requests = orders.map(({ quantity }) => ({ orderId: randomUUID(), itemId: item.id, quantity }));
          const deliveries = orders.flatMap(({ deliveries: times }, index) => Array.from({ length: times }, () => requests[index]!));
          const answers = await Promise.all(deliveries.map(answerEventually));

          // One answer per order, whatever delivery gave it.
          const byOrder = new Map<string, Reservation>();
          answers.forEach((answer) => {
            const first = byOrder.get(answer.orderId);
            if (first) expect(answer).toEqual(first);
            else byOrder.set(answer.orderId, answer);
          });
          expect(byOrder.size).toBe(requests.length);

          const reserved = [...byOrder.values()].filter((answer) => answer.status === 'RESERVED').reduce((sum, answer) => sum + answer.quantity, 0);
          const after = await items.get(item.id);
          // Never oversold: what was reserved came out of the stock, which never went below zero.
          expect(after.stock).toBe(initial - reserved);
          expect(after.stock).toBeGreaterThanOrEqual(0);
          expect(after.version).toBe(1 + [...byOrder.values()].filter((answer) => answer.status === 'RESERVED').length);
          if (shards > 1) {
            const stocks = await shardStocks(item.id, shards);
            stocks.forEach((stock) => expect(stock).toBeGreaterThanOrEqual(0));
            expect(stocks.reduce((sum, stock) => sum + stock, 0)).toBe(after.stock);
          }
          // Stock only went down during the run: an order refused while what is left now
          // (the least there ever was) would have covered it was refused wrongly.
          for (const answer of byOrder.values()) {
            if (answer.status === 'REJECTED') expect(answer.quantity).toBeGreaterThan(after.stock);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('a sharded item', () => {
  it('is gone with its shards when deleted: a later order is ITEM_NOT_FOUND, and a PATCH a 404', async () => {
    const items = catalogue(3);
    const item = await items.create({ name: 'gone', priceCents: 1, stock: 9 });
    await items.remove(item.id);
    expect(await shardStocks(item.id, 3)).toEqual([Number.NaN, Number.NaN, Number.NaN]);
    await expect(keeper().answer({ orderId: randomUUID(), itemId: item.id, quantity: 1 })).resolves.toMatchObject({ status: 'REJECTED', reason: 'ITEM_NOT_FOUND' });
    await expect(items.update(item.id, { expectedVersion: 1, stock: 3 })).rejects.toThrow('not found');
  });

  it('refuses a PATCH at the version read before a reservation (409), as a single row does', async () => {
    const items = catalogue(4);
    const item = await items.create({ name: 'race', priceCents: 1, stock: 8 });
    await keeper().answer({ orderId: randomUUID(), itemId: item.id, quantity: 2 });
    await expect(items.update(item.id, { expectedVersion: 1, stock: 100 })).rejects.toThrow('is at version 2, not 1');
    expect(await items.update(item.id, { expectedVersion: 2, name: 'renamed' })).toMatchObject({ name: 'renamed', stock: 6, version: 3 });
    expect(await items.get(item.id)).toMatchObject({ name: 'renamed', stock: 6, version: 3 });
    let listed;
    for (let cursor: string | undefined, first = true; first || cursor; first = false) {
      const page = await items.list(100, cursor);
      listed ??= page.items.find((candidate) => candidate.id === item.id);
      cursor = page.nextCursor ?? undefined;
    }
    expect(listed).toMatchObject({ name: 'renamed', stock: 6, version: 3 });
  });

  it('takes an order larger than any one shard from several, and refuses it only when all of them together have too little', async () => {
    const items = catalogue(4);
    const item = await items.create({ name: 'spread', priceCents: 1, stock: 7 }); // 2, 2, 2, 1
    await expect(keeper().answer({ orderId: randomUUID(), itemId: item.id, quantity: 6 })).resolves.toMatchObject({ status: 'RESERVED' });
    await expect(keeper().answer({ orderId: randomUUID(), itemId: item.id, quantity: 2 })).resolves.toMatchObject({ status: 'REJECTED', reason: 'OUT_OF_STOCK' });
    await expect(keeper().answer({ orderId: randomUUID(), itemId: item.id, quantity: 1 })).resolves.toMatchObject({ status: 'RESERVED' });
    expect(await shardStocks(item.id, 4)).toEqual([0, 0, 0, 0]);
  });
});
