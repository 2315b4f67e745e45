import type { RejectionReason } from '@platform/events';

/** What order-processor asks for when an order is placed. */
export interface StockRequest {
  orderId: string;
  itemId: string;
  quantity: number;
}

/** The catalogue's one answer to a request, kept for as long as the order's reservation row lives. */
export type Reservation = StockRequest & { createdAt: string } & (
    | { status: 'RESERVED' }
    | { status: 'REJECTED'; reason: RejectionReason }
  );

export type ReserveResult = 'RESERVED' | 'ALREADY_ANSWERED' | 'INSUFFICIENT_STOCK' | 'NO_SUCH_ITEM';

export interface ReservationStore {
  /**
   * Atomically takes `quantity` from the item's stock and records the
   * reservation, or changes nothing: stock never goes below zero, and an
   * order that already has an answer is never served twice.
   */
  reserve(reservation: Reservation & { status: 'RESERVED' }): Promise<ReserveResult>;
  /** Records a refusal; false when the order already had an answer. */
  recordRejection(reservation: Reservation & { status: 'REJECTED' }): Promise<boolean>;
  find(orderId: string): Promise<Reservation | undefined>;
}

/**
 * What the stock keeper reports as it happens, for whoever counts it (the
 * handlers wire in the metrics adapter): each order's answer once, when it is
 * recorded, never again for a redelivered request.
 */
export interface StockProbe {
  answered(answer: Reservation): void;
}

export interface StockKeeperOptions {
  now?: () => Date;
  probe?: StockProbe;
}

const unobserved: StockProbe = { answered: () => undefined };

/** An order already answered whose answer could not be read back: the store lost it. */
export class MissingReservationError extends Error {
  constructor(orderId: string) {
    super(`The answer for order ${orderId} was recorded but cannot be read`);
    this.name = 'MissingReservationError';
  }
}

/**
 * A request for an order already answered, naming another item or quantity
 * than the answer recorded: not the order that was answered. Nothing is
 * changed; the message fails into the DLQ.
 */
export class StockRequestMismatchError extends Error {
  constructor(orderId: string) {
    super(`The stock request for order ${orderId} does not match the answer recorded for it`);
    this.name = 'StockRequestMismatchError';
  }
}

/**
 * Answers stock requests, once per order. The answer (RESERVED, or REJECTED
 * with OUT_OF_STOCK or ITEM_NOT_FOUND) is recorded with the order id, so a
 * redelivered request changes nothing and gets the first answer again, even
 * if the stock has changed since. The answer reaches order-processor as
 * `stock.reserved` / `stock.rejected` through the items table's outbox.
 */
export class StockKeeper {
  private readonly now: () => Date;
  private readonly probe: StockProbe;

  constructor(
    private readonly store: ReservationStore,
    { now = () => new Date(), probe = unobserved }: StockKeeperOptions = {},
  ) {
    this.now = now;
    this.probe = probe;
  }

  async answer(request: StockRequest): Promise<Reservation> {
    const createdAt = this.now().toISOString();
    const result = await this.store.reserve({ ...request, status: 'RESERVED', createdAt });
    if (result === 'RESERVED') return this.answered({ ...request, status: 'RESERVED', createdAt });
    if (result !== 'ALREADY_ANSWERED') {
      // Stamped when the refusal is known, not when the attempt began: an item deleted
      // while the attempt ran was deleted before the answer, and the answer says so.
      const rejection = {
        ...request,
        status: 'REJECTED',
        reason: result === 'NO_SUCH_ITEM' ? 'ITEM_NOT_FOUND' : 'OUT_OF_STOCK',
        createdAt: this.now().toISOString(),
      } as const;
      if (await this.store.recordRejection(rejection)) return this.answered(rejection);
    }
    const earlier = await this.store.find(request.orderId);
    if (!earlier) throw new MissingReservationError(request.orderId);
    // The recorded answer is what this service knows of the order: a request that disagrees with it is not acted on.
    if (earlier.itemId !== request.itemId || earlier.quantity !== request.quantity) throw new StockRequestMismatchError(request.orderId);
    return earlier;
  }

  private answered(answer: Reservation): Reservation {
    this.probe.answered(answer);
    return answer;
  }
}
