export * from './images';
export * from './item';
export { ItemsService, MAX_PAGE_SIZE, type ItemPage, type ItemStore } from './items-service';
export {
  MissingReservationError,
  StockKeeper,
  StockRequestMismatchError,
  type Reservation,
  type ReservationStore,
  type ReserveResult,
  type StockKeeperOptions,
  type StockProbe,
  type StockRequest,
} from './stock';
