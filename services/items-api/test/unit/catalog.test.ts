import { ItemsService } from '../../src/domain';
import { catalogBehaviour } from '../support/catalog-behaviour';
import { InMemoryCatalog } from '../support/in-memory-catalog';

// The domain against the in-memory stores (the same suite runs on DynamoDB Local in test/integration).
let catalog: InMemoryCatalog;
beforeEach(() => {
  catalog = new InMemoryCatalog();
});

catalogBehaviour(() => ({ items: catalog, reservations: catalog }));

it('removes an item at the time of its own clock, which the store keeps with the delete (for item.deleted)', async () => {
  const at = new Date('2026-03-04T05:06:07.089Z');
  const items = new ItemsService(catalog, () => 'i1', () => at);
  await items.create({ name: 'pen', priceCents: 1, stock: 1 });
  await items.remove('i1');
  expect(catalog.deletedAt.get('i1')).toBe(at.toISOString());
});
