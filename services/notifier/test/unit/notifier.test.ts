import { InMemoryNotificationStore } from '../support/in-memory-notification-store';
import { notifierBehaviour } from '../support/notifier-behaviour';

// The domain against the in-memory store (the same suite runs on DynamoDB Local in test/integration).
let store: InMemoryNotificationStore;
beforeEach(() => {
  store = new InMemoryNotificationStore();
});

notifierBehaviour(() => store);
