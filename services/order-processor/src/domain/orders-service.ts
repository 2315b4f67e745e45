import { createHash, randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError } from '@platform/errors';
import type { Decision, NewOrder, Order, OrderCustomer, StockAnswer } from './order';

/** How long an Idempotency-Key is remembered (the table's TTL removes it afterwards). */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

export interface IdempotencyRecord {
  /** The client's key within its customer's scope (see scopedKey). */
  key: string;
  orderId: string;
  requestHash: string;
  /** Epoch seconds. */
  expiresAt: number;
}

export interface OrderStore {
  /**
   * Writes a new order and, when given, its Idempotency-Key, all or nothing.
   * 'KEY_TAKEN' when another live order already holds the key.
   */
  create(order: Order, idempotency?: IdempotencyRecord): Promise<'CREATED' | 'KEY_TAKEN'>;
  findIdempotencyKey(key: string): Promise<IdempotencyRecord | undefined>;
  get(id: string): Promise<Order | undefined>;
  /** Moves a PENDING order to `decision`; false (and no change) when it is no longer PENDING. */
  decide(id: string, decision: Decision, at: string): Promise<boolean>;
  /** Every order still PENDING that was created before `createdBefore` (an ISO timestamp), oldest first. */
  pendingCreatedBefore(createdBefore: string): Promise<PendingOrder[]>;
}

/** A PENDING order as the stuck-order sweep sees it: its id, age and, when its write carried one, the flow's correlation id. */
export interface PendingOrder {
  id: string;
  createdAt: string;
  correlationId?: string;
}

export interface StuckOrder extends PendingOrder {
  /** Seconds since the order was accepted. */
  ageSeconds: number;
}

/**
 * How long an order may stay PENDING before the sweep reports it. The saga
 * decides an order in well under a second; what delays it is retries. Its two
 * SQS hops (order.placed to the catalogue, the stock answer back here) each
 * retry a failing message for up to VisibilityTimeout 36 s x maxReceiveCount
 * 5 = 3 min before it goes to the DLQ: 6 min end to end. 10 minutes is past
 * that with room for a slow stream batch, so an order still PENDING then will
 * not be decided by an SQS retry: a message is in a DLQ, or an outbox relay is
 * stuck on its stream (it retries for up to 23 h, and its IteratorAge alarm
 * fires after 5 minutes), or a hop was lost. Lower would report orders that
 * are still being retried; higher leaves a customer waiting unnoticed.
 */
export const DEFAULT_STUCK_AFTER_MINUTES = 10;

/**
 * What the orders domain reports as it happens, for whoever counts it (the
 * handlers wire in the metrics adapter). Called once per change, never for a
 * replayed request or a redelivered answer.
 */
export interface OrdersProbe {
  /** A new order was accepted. */
  placed(): void;
  /** A PENDING order was decided, by this call. */
  decided(decision: Decision): void;
}

export interface OrdersServiceOptions {
  newId?: () => string;
  now?: () => Date;
  probe?: OrdersProbe;
}

const unobserved: OrdersProbe = { placed: () => undefined, decided: () => undefined };

/** The answer names an order this service never accepted: a poison message, left to fail into the DLQ. */
export class UnknownOrderError extends Error {
  constructor(orderId: string) {
    super(`Order ${orderId} does not exist`);
    this.name = 'UnknownOrderError';
  }
}

/** The answer is for another item or quantity than the stored order: it is not acted on. */
export class AnswerMismatchError extends Error {
  constructor(orderId: string) {
    super(`The stock answer for order ${orderId} does not match the order`);
    this.name = 'AnswerMismatchError';
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const hashRequest = (order: NewOrder) => sha256(JSON.stringify([order.itemId, order.quantity]));

/**
 * Idempotency-Keys are the client's to pick, so each customer has keys of
 * their own: two customers using the same key never meet, and a 409 never
 * tells one that another used it. The subject is hashed to a fixed length so
 * no pair of subject and key can spell another pair.
 */
const scopedKey = (customer: OrderCustomer, key: string) => `${sha256(customer.id)}:${key}`;

/** The email an order is sent to is the customer's; a body may repeat it, never change it. */
const assertOwnEmail = (input: NewOrder, customer: OrderCustomer) => {
  if (input.customerEmail !== undefined && input.customerEmail.toLowerCase() !== customer.email.toLowerCase()) {
    throw new ValidationError('The order names another email than the signed-in customer’s', [
      { path: 'customerEmail', message: 'Must be the signed-in customer’s own email, or left out: the outcome is sent to it' },
    ]);
  }
};

/**
 * Orders and their lifecycle. Accepting an order only records it as
 * PENDING; `order.placed` is derived from that write by the orders table's
 * stream (the outbox), so an accepted order is never lost between the write
 * and the publish. The catalogue answers with `stock.reserved` or
 * `stock.rejected`, and `settle` moves the order to CONFIRMED or REJECTED
 * exactly once; that change is published as `order.confirmed` /
 * `order.rejected` by the same outbox, from the stored order.
 */
export class OrdersService {
  private readonly newId: () => string;
  private readonly now: () => Date;
  private readonly probe: OrdersProbe;

  constructor(
    private readonly store: OrderStore,
    { newId = randomUUID, now = () => new Date(), probe = unobserved }: OrdersServiceOptions = {},
  ) {
    this.newId = newId;
    this.now = now;
    this.probe = probe;
  }

  /**
   * Accepts an order for `customer`. The item is not checked here: the
   * catalogue rejects unknown items (ITEM_NOT_FOUND).
   */
  async place(input: NewOrder, customer: OrderCustomer, clientKey?: string): Promise<Order> {
    assertOwnEmail(input, customer);
    const requestHash = hashRequest(input);
    const key = clientKey && scopedKey(customer, clientKey);
    if (key) {
      const replay = await this.replay(key, requestHash);
      if (replay) return replay;
    }
    const now = this.now();
    const at = now.toISOString();
    const order: Order = {
      id: this.newId(),
      itemId: input.itemId,
      quantity: input.quantity,
      customerId: customer.id,
      customerEmail: customer.email,
      status: 'PENDING',
      createdAt: at,
      updatedAt: at,
    };
    const idempotency = key && { key, orderId: order.id, requestHash, expiresAt: Math.floor(now.getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS };
    if ((await this.store.create(order, idempotency || undefined)) === 'KEY_TAKEN') {
      // Two requests with the same key raced and the other one won: answer with its order.
      const replay = await this.replay(key as string, requestHash);
      if (replay) return replay;
      throw new ConflictError('This Idempotency-Key is in use by a request still being processed; retry');
    }
    this.probe.placed();
    return order;
  }

  /** The order, to its owner only: to anyone else it does not exist, so its existence is not revealed. */
  async get(id: string, customer: Pick<OrderCustomer, 'id'>): Promise<Order> {
    const order = await this.store.get(id);
    if (!order || order.customerId !== customer.id) throw new NotFoundError(`Order ${id} not found`);
    return order;
  }

  /** Applies the catalogue's answer; a redelivered answer changes nothing and returns the order as it is. */
  async settle({ orderId, itemId, quantity, decision }: StockAnswer): Promise<Order> {
    const order = await this.store.get(orderId);
    if (!order) throw new UnknownOrderError(orderId);
    if (order.itemId !== itemId || order.quantity !== quantity) throw new AnswerMismatchError(orderId);
    if (order.status !== 'PENDING') return order;
    const at = this.now().toISOString();
    if (await this.store.decide(orderId, decision, at)) {
      this.probe.decided(decision);
      return { ...order, ...decision, updatedAt: at };
    }
    return (await this.store.get(orderId)) as Order;
  }

  /**
   * The orders PENDING for longer than `stuckAfterMinutes`, oldest first:
   * accepted, but no decision arrived (a lost hop of the saga).
   */
  async findStuck(stuckAfterMinutes: number = DEFAULT_STUCK_AFTER_MINUTES): Promise<StuckOrder[]> {
    const now = this.now().getTime();
    const pending = await this.store.pendingCreatedBefore(new Date(now - stuckAfterMinutes * 60_000).toISOString());
    return pending.map((order) => ({ ...order, ageSeconds: Math.floor((now - Date.parse(order.createdAt)) / 1000) }));
  }

  /** The order an earlier request with this key created, if any; a different request under the same key is a conflict. */
  private async replay(key: string, requestHash: string): Promise<Order | undefined> {
    const previous = await this.store.findIdempotencyKey(key);
    // TTL deletes expired keys lazily (up to days late): past its expiry a key is free again.
    if (!previous || previous.expiresAt <= Math.floor(this.now().getTime() / 1000)) return undefined;
    if (previous.requestHash !== requestHash) throw new ConflictError('This Idempotency-Key was already used with a different request');
    return this.store.get(previous.orderId);
  }
}
