import { catalogBehaviour } from '../support/catalog-behaviour';
import { InMemoryCatalog } from '../support/in-memory-catalog';

// The domain against the in-memory stores (the same suite runs on DynamoDB Local in test/integration).
let catalog: InMemoryCatalog;
beforeEach(() => {
  catalog = new InMemoryCatalog();
});

catalogBehaviour(() => ({ items: catalog, reservations: catalog }));
