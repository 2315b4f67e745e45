import { cursorCodecFromEnv, Table } from '@platform/dynamo';
import { ItemsService } from '../domain';

let service: ItemsService | undefined;

/** Built on first use and kept for the container's life, so SDK clients are reused. */
export const itemsService = (): ItemsService => {
  if (!service) {
    const tableName = process.env.TABLE_NAME;
    if (!tableName) throw new Error('TABLE_NAME is not set');
    service = new ItemsService(new Table(tableName), cursorCodecFromEnv());
  }
  return service;
};
