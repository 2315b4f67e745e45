export { EVENT_SOURCE, OrderProcessor, UnknownOrderError } from './order-processor';
