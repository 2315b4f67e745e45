import { ConflictError, NotFoundError, ValidationError } from '@platform/errors';
import { withCorrelationId } from '@platform/observability';
import { AnswerMismatchError, DEFAULT_STUCK_AFTER_MINUTES, IDEMPOTENCY_TTL_SECONDS, OrdersService, UnknownOrderError, type OrdersProbe, type OrderStore } from '../../src/domain';

/**
 * What the orders domain promises, whatever store backs it. Run against the
 * in-memory fake (unit) and against DynamoDB Local (integration).
 */
export const ordersBehaviour = (store: () => OrderStore) => {
  const orders = (now?: () => Date) => new OrdersService(store(), { now });
  const newOrder = (quantity = 1) => ({ itemId: 'item-1', quantity });
  const ada = { id: 'sub-ada', email: 'ada@example.com' };
  const bob = { id: 'sub-bob', email: 'bob@example.com' };
  const place = (service: OrdersService, quantity = 1, key?: string, customer = ada) => service.place(newOrder(quantity), customer, key);
  const answer = (order: { id: string; itemId: string; quantity: number }, decision: { status: 'CONFIRMED' } | { status: 'REJECTED'; reason: 'OUT_OF_STOCK' | 'ITEM_NOT_FOUND' }) => ({
    orderId: order.id,
    itemId: order.itemId,
    quantity: order.quantity,
    decision,
  });

  describe('OrdersService.place and get', () => {
    it('accepts an order as PENDING, whether or not the item exists (the catalogue decides)', async () => {
      const order = await place(orders());
      expect(order).toMatchObject({ status: 'PENDING', itemId: 'item-1', quantity: 1, customerId: 'sub-ada', customerEmail: 'ada@example.com' });
      expect(await orders().get(order.id, ada)).toEqual(order);
      await expect(orders().get('missing-order', ada)).rejects.toThrow(NotFoundError);
    });

    it('shows an order to its customer only: to anyone else it is exactly as missing as an unknown id', async () => {
      const order = await place(orders());
      const theirs = orders().get(order.id, bob);
      await expect(theirs).rejects.toThrow(NotFoundError);
      await expect(theirs).rejects.toThrow(`Order ${order.id} not found`);
    });

    it('sends the outcome to the customer’s own email: a body may repeat it in any case, never name another', async () => {
      const same = await orders().place({ ...newOrder(), customerEmail: 'Ada@Example.com' }, ada);
      expect(same.customerEmail).toBe('ada@example.com');
      await expect(orders().place({ ...newOrder(), customerEmail: 'victim@example.com' }, ada)).rejects.toThrow(ValidationError);
    });

    it('keeps each customer’s Idempotency-Keys apart: the same key from two customers makes two orders, and no 409', async () => {
      const key = `shared-${Math.random()}`;
      const adas = await place(orders(), 1, key, ada);
      const bobs = await place(orders(), 2, key, bob);
      expect(bobs.id).not.toBe(adas.id);
      expect(bobs).toMatchObject({ customerId: 'sub-bob', quantity: 2 });
      expect(await place(orders(), 1, key, ada)).toEqual(adas);
    });

    it('answers a repeated Idempotency-Key with the first order, even when the requests race', async () => {
      const key = `key-${Math.random()}`;
      const first = await place(orders(), 1, key);
      expect(await place(orders(), 1, key)).toEqual(first);
      const raceKey = `race-${Math.random()}`;
      const raced = await Promise.all([1, 2, 3].map(() => place(orders(), 1, raceKey)));
      expect(new Set(raced.map((order) => order.id)).size).toBe(1);
    });

    it('refuses a reused Idempotency-Key with a different request', async () => {
      const key = `key-${Math.random()}`;
      await place(orders(), 1, key);
      await expect(place(orders(), 2, key)).rejects.toThrow(ConflictError);
    });

    it('frees an Idempotency-Key once it has expired, even before TTL removes it', async () => {
      const key = `key-${Math.random()}`;
      const first = await place(orders(), 1, key);
      const later = () => new Date(Date.now() + (IDEMPOTENCY_TTL_SECONDS + 1) * 1000);
      const second = await place(orders(later), 2, key);
      expect(second.id).not.toBe(first.id);
      expect(await place(orders(later), 2, key)).toEqual(second);
    });
  });

  describe('OrdersService.settle', () => {
    it('confirms or rejects a PENDING order once; a redelivered or contrary answer changes nothing', async () => {
      const order = await place(orders());
      expect(await orders().settle(answer(order, { status: 'CONFIRMED' }))).toMatchObject({ status: 'CONFIRMED' });
      expect(await orders().settle(answer(order, { status: 'CONFIRMED' }))).toMatchObject({ status: 'CONFIRMED' });
      expect(await orders().settle(answer(order, { status: 'REJECTED', reason: 'OUT_OF_STOCK' }))).toMatchObject({ status: 'CONFIRMED' });

      const rejected = await place(orders());
      expect(await orders().settle(answer(rejected, { status: 'REJECTED', reason: 'ITEM_NOT_FOUND' }))).toMatchObject({ status: 'REJECTED', reason: 'ITEM_NOT_FOUND' });
      expect((await orders().get(rejected.id, ada)).reason).toBe('ITEM_NOT_FOUND');
    });

    it('settles exactly once when two deliveries race', async () => {
      const order = await place(orders());
      const results = await Promise.all([orders().settle(answer(order, { status: 'CONFIRMED' })), orders().settle(answer(order, { status: 'CONFIRMED' }))]);
      expect(results.map((result) => result.status)).toEqual(['CONFIRMED', 'CONFIRMED']);
    });

    it('reports each order placed and each decision once: never a replayed key, a redelivered answer or a lost race', async () => {
      const facts: string[] = [];
      const probe: OrdersProbe = {
        placed: () => facts.push('placed'),
        decided: (decision) => facts.push(decision.status === 'CONFIRMED' ? 'confirmed' : `rejected ${decision.reason}`),
      };
      const observed = new OrdersService(store(), { probe });
      const key = `probe-${Math.random()}`;
      const [first, second] = [await place(observed, 1, key), await place(observed, 1, key)];
      expect(second.id).toBe(first.id);
      const other = await place(observed, 2);
      await Promise.all([observed.settle(answer(first, { status: 'CONFIRMED' })), observed.settle(answer(first, { status: 'CONFIRMED' }))]);
      await observed.settle(answer(first, { status: 'CONFIRMED' }));
      await observed.settle(answer(other, { status: 'REJECTED', reason: 'OUT_OF_STOCK' }));
      expect(facts).toEqual(['placed', 'placed', 'confirmed', 'rejected OUT_OF_STOCK']);
    });

    it('refuses an answer for an unknown order or for another item or quantity than the order’s', async () => {
      await expect(orders().settle({ orderId: 'missing', itemId: 'item-1', quantity: 1, decision: { status: 'CONFIRMED' } })).rejects.toThrow(UnknownOrderError);
      const order = await place(orders());
      await expect(orders().settle({ ...answer(order, { status: 'CONFIRMED' }), quantity: 7 })).rejects.toThrow(AnswerMismatchError);
      await expect(orders().settle({ ...answer(order, { status: 'CONFIRMED' }), itemId: 'other' })).rejects.toThrow(AnswerMismatchError);
      expect((await orders().get(order.id, ada)).status).toBe('PENDING');
    });
  });

  describe('OrdersService.findStuck', () => {
    // Each test at its own moment long past, so orders other tests place now (or a
    // shared table holds) are never older than its cutoff, and its own never younger.
    const at = (start: string, minutes: number) => () => new Date(Date.parse(start) + minutes * 60_000);
    const stuckOf = async (service: OrdersService, ids: string[], minutes?: number) =>
      (await service.findStuck(minutes)).filter((order) => ids.includes(order.id));

    it('finds the orders PENDING past the threshold, oldest first, with their age and flow; never a decided or a younger one', async () => {
      const start = '2001-02-03T04:00:00.000Z';
      const oldest = await place(orders(at(start, 0)));
      const old = await withCorrelationId('flow-old', () => place(orders(at(start, 1))));
      const confirmed = await place(orders(at(start, 0)));
      const rejected = await place(orders(at(start, 0)));
      const young = await place(orders(at(start, 5)));
      await orders(at(start, 1)).settle(answer(confirmed, { status: 'CONFIRMED' }));
      await orders(at(start, 1)).settle(answer(rejected, { status: 'REJECTED', reason: 'OUT_OF_STOCK' }));
      const ids = [oldest, old, confirmed, rejected, young].map((order) => order.id);

      expect(await stuckOf(orders(at(start, 12)), ids)).toEqual([
        { id: oldest.id, createdAt: oldest.createdAt, ageSeconds: 720 },
        { id: old.id, createdAt: old.createdAt, ageSeconds: 660, correlationId: 'flow-old' },
      ]);
      // Without a threshold, the default applies.
      expect(DEFAULT_STUCK_AFTER_MINUTES).toBe(10);
      expect((await stuckOf(orders(at(start, 12)), ids)).map((order) => order.id)).toEqual([oldest.id, old.id]);
    });

    it('respects the threshold: an order exactly that old is not yet stuck, one a moment older is', async () => {
      const start = '2002-03-04T05:00:00.000Z';
      const order = await place(orders(at(start, 0)));
      expect(await stuckOf(orders(at(start, 10)), [order.id], 10)).toEqual([]);
      expect(await stuckOf(orders(at(start, 10.001)), [order.id], 10)).toHaveLength(1);
      expect(await stuckOf(orders(at(start, 30)), [order.id], 31)).toEqual([]);
      expect(await stuckOf(orders(at(start, 30)), [order.id], 1)).toMatchObject([{ id: order.id, ageSeconds: 1800 }]);
      await orders(at(start, 31)).settle(answer(order, { status: 'CONFIRMED' }));
      expect(await stuckOf(orders(at(start, 60)), [order.id], 1)).toEqual([]);
    });
  });
};
