import { ConflictError, NotFoundError } from '@platform/errors';
import { AnswerMismatchError, IDEMPOTENCY_TTL_SECONDS, OrdersService, UnknownOrderError, type OrderStore } from '../../src/domain';

/**
 * What the orders domain promises, whatever store backs it. Run against the
 * in-memory fake (unit) and against DynamoDB Local (integration).
 */
export const ordersBehaviour = (store: () => OrderStore) => {
  const orders = (now?: () => Date) => new OrdersService(store(), undefined, now);
  const newOrder = (quantity = 1) => ({ itemId: 'item-1', quantity, customerEmail: 'ada@example.com' });
  const answer = (order: { id: string; itemId: string; quantity: number }, decision: { status: 'CONFIRMED' } | { status: 'REJECTED'; reason: 'OUT_OF_STOCK' | 'ITEM_NOT_FOUND' }) => ({
    orderId: order.id,
    itemId: order.itemId,
    quantity: order.quantity,
    decision,
  });

  describe('OrdersService.place and get', () => {
    it('accepts an order as PENDING, whether or not the item exists (the catalogue decides)', async () => {
      const order = await orders().place(newOrder());
      expect(order).toMatchObject({ status: 'PENDING', itemId: 'item-1', quantity: 1, customerEmail: 'ada@example.com' });
      expect(await orders().get(order.id)).toEqual(order);
      await expect(orders().get('missing-order')).rejects.toThrow(NotFoundError);
    });

    it('answers a repeated Idempotency-Key with the first order, even when the requests race', async () => {
      const key = `key-${Math.random()}`;
      const first = await orders().place(newOrder(), key);
      expect(await orders().place(newOrder(), key)).toEqual(first);
      const raceKey = `race-${Math.random()}`;
      const raced = await Promise.all([1, 2, 3].map(() => orders().place(newOrder(), raceKey)));
      expect(new Set(raced.map((order) => order.id)).size).toBe(1);
    });

    it('refuses a reused Idempotency-Key with a different request', async () => {
      const key = `key-${Math.random()}`;
      await orders().place(newOrder(), key);
      await expect(orders().place(newOrder(2), key)).rejects.toThrow(ConflictError);
    });

    it('frees an Idempotency-Key once it has expired, even before TTL removes it', async () => {
      const key = `key-${Math.random()}`;
      const first = await orders().place(newOrder(), key);
      const later = () => new Date(Date.now() + (IDEMPOTENCY_TTL_SECONDS + 1) * 1000);
      const second = await orders(later).place(newOrder(2), key);
      expect(second.id).not.toBe(first.id);
      expect(await orders(later).place(newOrder(2), key)).toEqual(second);
    });
  });

  describe('OrdersService.settle', () => {
    it('confirms or rejects a PENDING order once; a redelivered or contrary answer changes nothing', async () => {
      const order = await orders().place(newOrder());
      expect(await orders().settle(answer(order, { status: 'CONFIRMED' }))).toMatchObject({ status: 'CONFIRMED' });
      expect(await orders().settle(answer(order, { status: 'CONFIRMED' }))).toMatchObject({ status: 'CONFIRMED' });
      expect(await orders().settle(answer(order, { status: 'REJECTED', reason: 'OUT_OF_STOCK' }))).toMatchObject({ status: 'CONFIRMED' });

      const rejected = await orders().place(newOrder());
      expect(await orders().settle(answer(rejected, { status: 'REJECTED', reason: 'ITEM_NOT_FOUND' }))).toMatchObject({ status: 'REJECTED', reason: 'ITEM_NOT_FOUND' });
      expect((await orders().get(rejected.id)).reason).toBe('ITEM_NOT_FOUND');
    });

    it('settles exactly once when two deliveries race', async () => {
      const order = await orders().place(newOrder());
      const results = await Promise.all([orders().settle(answer(order, { status: 'CONFIRMED' })), orders().settle(answer(order, { status: 'CONFIRMED' }))]);
      expect(results.map((result) => result.status)).toEqual(['CONFIRMED', 'CONFIRMED']);
    });

    it('refuses an answer for an unknown order or for another item or quantity than the order’s', async () => {
      await expect(orders().settle({ orderId: 'missing', itemId: 'item-1', quantity: 1, decision: { status: 'CONFIRMED' } })).rejects.toThrow(UnknownOrderError);
      const order = await orders().place(newOrder());
      await expect(orders().settle({ ...answer(order, { status: 'CONFIRMED' }), quantity: 7 })).rejects.toThrow(AnswerMismatchError);
      await expect(orders().settle({ ...answer(order, { status: 'CONFIRMED' }), itemId: 'other' })).rejects.toThrow(AnswerMismatchError);
      expect((await orders().get(order.id)).status).toBe('PENDING');
    });
  });
};
