import { InMemoryOrderStore } from '../support/in-memory-order-store';
import { ordersBehaviour } from '../support/orders-behaviour';

// The domain against the in-memory store (the same suite runs on DynamoDB Local in test/integration).
let store: InMemoryOrderStore;
beforeEach(() => {
  store = new InMemoryOrderStore();
});

ordersBehaviour(() => store);
