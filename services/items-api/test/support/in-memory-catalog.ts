import { BadRequestError, ConflictError, NotFoundError } from '@platform/errors';
import type { Item, ItemPage, ItemStore, Reservation, ReservationStore, ReserveResult } from '../../src/domain';

/** The stores' contract, kept in memory: what the domain is unit-tested against. */
export class InMemoryCatalog implements ItemStore, ReservationStore {
  readonly items = new Map<string, Item>();
  readonly reservations = new Map<string, Reservation>();
  /** When each removed item was deleted, as the removal said. */
  readonly deletedAt = new Map<string, string>();

  async create(item: Item) {
    if (this.items.has(item.id)) throw new ConflictError(`Item ${item.id} already exists`);
    this.items.set(item.id, { ...item });
  }

  async get(id: string) {
    const item = this.items.get(id);
    return item && { ...item };
  }

  async list(limit: number, cursor?: string): Promise<ItemPage> {
    const start = cursor === undefined ? 0 : Number(cursor);
    if (!Number.isInteger(start) || start < 0) throw new BadRequestError('The cursor is invalid or has been tampered with');
    const all = [...this.items.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    const items = all.slice(start, start + limit);
    return { items, nextCursor: start + limit < all.length ? String(start + limit) : null };
  }

  async update(id: string, expectedVersion: number, changes: Partial<Item>) {
    const item = this.items.get(id);
    if (!item) throw new NotFoundError(`Item ${id} not found`);
    if (item.version !== expectedVersion) throw new ConflictError(`Item ${id} is at version ${item.version}, not ${expectedVersion}`);
    const defined = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
    const updated = { ...item, ...defined, version: item.version + 1, updatedAt: new Date().toISOString() };
    this.items.set(id, updated);
    return { ...updated };
  }

  async remove(id: string, deletedAt: string) {
    const item = this.items.get(id);
    if (!item || !this.items.delete(id)) throw new NotFoundError(`Item ${id} not found`);
    this.deletedAt.set(id, deletedAt);
    return { ...(item.image && { image: item.image }) };
  }

  async reserve(reservation: Reservation & { status: 'RESERVED' }): Promise<ReserveResult> {
    if (this.reservations.has(reservation.orderId)) return 'ALREADY_ANSWERED';
    const item = this.items.get(reservation.itemId);
    if (!item) return 'NO_SUCH_ITEM';
    if (item.stock < reservation.quantity) return 'INSUFFICIENT_STOCK';
    this.items.set(item.id, { ...item, stock: item.stock - reservation.quantity, version: item.version + 1, updatedAt: reservation.createdAt });
    this.reservations.set(reservation.orderId, { ...reservation });
    return 'RESERVED';
  }

  async recordRejection(reservation: Reservation & { status: 'REJECTED' }) {
    if (this.reservations.has(reservation.orderId)) return false;
    this.reservations.set(reservation.orderId, { ...reservation });
    return true;
  }

  async find(orderId: string) {
    const reservation = this.reservations.get(orderId);
    return reservation && { ...reservation };
  }
}
