export { buildEvent, type BuildOptions } from './build';
export {
  EVENT_ENTITY_KEYS,
  EVENT_PRODUCERS,
  EVENT_TYPES,
  EventSchemas,
  RejectionReason,
  type DataOf,
  type DomainEvent,
  type EntityKeysOf,
  type EventOf,
  type EventType,
  type ProducerOf,
} from './contracts';
export { envelopeSchema, type Envelope } from './envelope';
export { InvalidEventError, parseEvent } from './parse';
export { createSnsPublisher, eventPublisherFromEnv, type EventPublisher } from './publisher';
