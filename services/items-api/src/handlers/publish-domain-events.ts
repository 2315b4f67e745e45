import { streamOutboxHandler } from '@platform/handler-kit';
import { eventForChange } from '../adapters/outbox';

/** Drains the items table's stream to the event bus, in order (see streamOutboxHandler). */
export const handler = streamOutboxHandler(eventForChange);
