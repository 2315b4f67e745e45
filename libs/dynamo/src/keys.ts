import { CORRELATION_ID } from './correlation';

/** Attribute names of the single-table layout every service table uses. */
export const KEY = { partition: 'pk', sort: 'sk' } as const;
export const GSI1 = { name: 'gsi1', partition: 'gsi1pk', sort: 'gsi1sk' } as const;

export interface TableKey {
  pk: string;
  sk: string;
}

const SEPARATOR = '#';

/** Joins key parts, refusing parts that would make two different keys collide. */
export const compositeKey = (...parts: Array<string | number>): string =>
  parts
    .map((part) => {
      const text = String(part);
      if (text.length === 0 || text.includes(SEPARATOR)) {
        throw new Error(`Key part ${JSON.stringify(text)} must be non-empty and must not contain "${SEPARATOR}"`);
      }
      return text;
    })
    .join(SEPARATOR);

/** The primary key of one entity: `{pk: "<ENTITY>#<id>", sk: "<ENTITY>"}`. */
export const entityKey = (entity: string, id: string): TableKey => ({
  pk: compositeKey(entity, id),
  sk: entity,
});

/** Strips the key attributes and row metadata so storage details never leak into domain objects. */
export const withoutKeys = <T extends object>(record: Record<string, unknown>): T => {
  const { [KEY.partition]: _pk, [KEY.sort]: _sk, [GSI1.partition]: _g1pk, [GSI1.sort]: _g1sk, [CORRELATION_ID]: _flow, ...rest } = record;
  return rest as T;
};
