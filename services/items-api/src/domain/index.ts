export * from './item';
export { ItemsService, MAX_PAGE_SIZE, itemKey } from './items-service';
