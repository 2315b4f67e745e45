import { currentCorrelationId } from '@platform/observability';
import type { Decision, IdempotencyRecord, Order, OrderStore, PendingOrder } from '../../src/domain';

/** The order store's contract, kept in memory: what the domain is unit-tested against. */
export class InMemoryOrderStore implements OrderStore {
  readonly orders = new Map<string, Order>();
  readonly keys = new Map<string, IdempotencyRecord>();
  /** The flow that created each order, as the table stamps it on the row. */
  readonly flows = new Map<string, string>();

  async create(order: Order, idempotency?: IdempotencyRecord) {
    if (this.orders.has(order.id)) throw new Error(`Order ${order.id} exists`);
    if (idempotency) {
      const held = this.keys.get(idempotency.key);
      if (held && held.expiresAt > Math.floor(Date.parse(order.createdAt) / 1000)) return 'KEY_TAKEN' as const;
      this.keys.set(idempotency.key, { ...idempotency });
    }
    this.orders.set(order.id, { ...order });
    const flow = currentCorrelationId();
    if (flow) this.flows.set(order.id, flow);
    return 'CREATED' as const;
  }

  async findIdempotencyKey(key: string) {
    const record = this.keys.get(key);
    return record && { ...record };
  }

  async get(id: string) {
    const order = this.orders.get(id);
    return order && { ...order };
  }

  async decide(id: string, decision: Decision, at: string) {
    const order = this.orders.get(id);
    if (order?.status !== 'PENDING') return false;
    this.orders.set(id, { ...order, ...decision, updatedAt: at });
    return true;
  }

  async pendingCreatedBefore(createdBefore: string): Promise<PendingOrder[]> {
    return [...this.orders.values()]
      .filter((order) => order.status === 'PENDING' && order.createdAt < createdBefore)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
      .map(({ id, createdAt }) => {
        const correlationId = this.flows.get(id);
        return { id, createdAt, ...(correlationId && { correlationId }) };
      });
  }
}
