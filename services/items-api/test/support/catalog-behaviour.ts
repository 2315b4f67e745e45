import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError } from '@platform/errors';
import { withCorrelationId } from '@platform/observability';
import { ItemsService, StockKeeper, StockRequestMismatchError, type ItemStore, type Reservation, type ReservationStore } from '../../src/domain';

export interface CatalogStores {
  items: ItemStore;
  reservations: ReservationStore;
}

/**
 * What the catalogue's domain promises, whatever store backs it. Run against
 * the in-memory fake (unit) and against DynamoDB Local (integration), so the
 * fake cannot drift from the real store.
 */
export const catalogBehaviour = (stores: () => CatalogStores) => {
  const items = () => new ItemsService(stores().items);
  const keeper = () => new StockKeeper(stores().reservations);
  const request = (itemId: string, quantity = 1) => ({ orderId: randomUUID(), itemId, quantity });

  describe('ItemsService', () => {
    it('creates an item at version 1 and reads it back without storage keys', async () => {
      const created = await items().create({ name: 'pen', priceCents: 120, stock: 5 });
      expect(created).toMatchObject({ name: 'pen', priceCents: 120, stock: 5, version: 1 });
      expect(created.createdAt).toBe(created.updatedAt);
      const read = await items().get(created.id);
      expect(read).toEqual(created);
      expect(Object.keys(read)).not.toEqual(expect.arrayContaining(['pk']));
    });

    it('keeps the flow that wrote an item (its correlation id) out of what it reads back', async () => {
      const created = await withCorrelationId('req-create', () => items().create({ name: 'pen', priceCents: 120, stock: 5 }));
      const updated = await withCorrelationId('req-update', () => items().update(created.id, { expectedVersion: 1, stock: 4 }));
      expect(Object.keys(updated)).not.toContain('correlationId');
      expect(await items().get(created.id)).toEqual(updated);
      expect((await items().list(100)).items.find((item) => item.id === created.id)).toEqual(updated);
    });

    it('reports an unknown id as not found', async () => {
      await expect(items().get('no-such-item')).rejects.toThrow(NotFoundError);
      await expect(items().remove('no-such-item')).rejects.toThrow(NotFoundError);
      await expect(items().update('no-such-item', { expectedVersion: 1, stock: 1 })).rejects.toThrow(NotFoundError);
    });

    it('updates at the expected version and refuses a stale one', async () => {
      const item = await items().create({ name: 'cup', priceCents: 300, stock: 1 });
      const updated = await items().update(item.id, { expectedVersion: 1, stock: 7, description: 'blue' });
      expect(updated).toMatchObject({ id: item.id, stock: 7, description: 'blue', version: 2, name: 'cup' });
      await expect(items().update(item.id, { expectedVersion: 1, stock: 8 })).rejects.toThrow(ConflictError);
      expect((await items().get(item.id)).stock).toBe(7);
    });

    it('deletes an item', async () => {
      const item = await items().create({ name: 'bin', priceCents: 1, stock: 0 });
      await items().remove(item.id);
      await expect(items().get(item.id)).rejects.toThrow(NotFoundError);
    });

    it('lists every item exactly once across pages', async () => {
      const created = [];
      for (let i = 0; i < 5; i += 1) created.push(await items().create({ name: `page-${i}`, priceCents: i, stock: i }));
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await items().list(2, cursor);
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((item) => item.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual(expect.arrayContaining(created.map((item) => item.id)));
    });
  });

  describe('StockKeeper', () => {
    it('reserves while stock lasts, then rejects OUT_OF_STOCK, and never goes below zero', async () => {
      const item = await items().create({ name: 'lamp', priceCents: 1, stock: 2 });
      const answers = [];
      for (let i = 0; i < 3; i += 1) answers.push(await keeper().answer(request(item.id)));
      expect(answers.map((answer) => answer.status)).toEqual(['RESERVED', 'RESERVED', 'REJECTED']);
      expect(answers[2]).toMatchObject({ reason: 'OUT_OF_STOCK' });
      expect(await items().get(item.id)).toMatchObject({ stock: 0, version: 3 });
    });

    it('rejects an order for an unknown item with ITEM_NOT_FOUND', async () => {
      await expect(keeper().answer(request('no-such-item'))).resolves.toMatchObject({ status: 'REJECTED', reason: 'ITEM_NOT_FOUND' });
    });

    it('answers a redelivered request with its first answer and changes nothing twice', async () => {
      const item = await items().create({ name: 'lamp', priceCents: 1, stock: 1 });
      const first = request(item.id);
      const reserved = await keeper().answer(first);
      expect(await keeper().answer(first)).toEqual(reserved);
      expect((await items().get(item.id)).stock).toBe(0);

      const late = request(item.id);
      const rejected = await keeper().answer(late);
      expect(rejected).toMatchObject({ status: 'REJECTED', reason: 'OUT_OF_STOCK' });
      // Restocked meanwhile: the order that was refused stays refused.
      await items().update(item.id, { expectedVersion: 2, stock: 10 });
      expect(await keeper().answer(late)).toEqual(rejected);
      expect((await items().get(item.id)).stock).toBe(10);
    });

    it('refuses a request that disagrees with the answer recorded for its order, changing nothing (issue 13: a re-sent order.placed)', async () => {
      const item = await items().create({ name: 'desk', priceCents: 1, stock: 10 });
      const other = await items().create({ name: 'chair', priceCents: 1, stock: 10 });
      const first = request(item.id);
      await keeper().answer(first);
      await expect(keeper().answer({ ...first, quantity: 7 })).rejects.toBeInstanceOf(StockRequestMismatchError);
      await expect(keeper().answer({ ...first, itemId: other.id })).rejects.toBeInstanceOf(StockRequestMismatchError);
      expect((await items().get(item.id)).stock).toBe(9);
      expect((await items().get(other.id)).stock).toBe(10);
    });

    it('reports each order’s answer once, when it is recorded, never for a redelivered request', async () => {
      const answered: string[] = [];
      const observed = new StockKeeper(stores().reservations, {
        probe: { answered: (answer: Reservation) => answered.push(answer.status === 'RESERVED' ? 'reserved' : `rejected ${answer.reason}`) },
      });
      const item = await items().create({ name: 'lamp', priceCents: 1, stock: 1 });
      const [first, late] = [request(item.id), request(item.id)];
      for (const order of [first, first, late, late, request('no-such-item')]) await observed.answer(order);
      expect(answered).toEqual(['reserved', 'rejected OUT_OF_STOCK', 'rejected ITEM_NOT_FOUND']);
    });

    it('refuses more than the stock even when requests race', async () => {
      const item = await items().create({ name: 'lamp', priceCents: 1, stock: 10 });
      const answers = await Promise.all(Array.from({ length: 40 }, () => keeper().answer(request(item.id))));
      expect(answers.filter((answer) => answer.status === 'RESERVED')).toHaveLength(10);
      expect((await items().get(item.id)).stock).toBe(0);
    });
  });
};
