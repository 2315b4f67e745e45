import * as z from 'zod';
import { EVENT_ENTITY_KEYS, EVENT_TYPES, EventSchemas } from '../src';

// The entity keys each contract declares (EVENT_ENTITY_KEYS) are what the
// platform's tools join flows on: each must name a field the event's data
// always has, holding a non-empty string.
const dataShape = (type: keyof typeof EventSchemas) => (EventSchemas[type].shape.data as z.ZodObject).shape;

describe('entity keys', () => {
  it('are declared for every event type, at least one each', () => {
    expect(Object.keys(EVENT_ENTITY_KEYS).sort()).toEqual([...EVENT_TYPES].sort());
    for (const type of EVENT_TYPES) expect(Object.keys(EVENT_ENTITY_KEYS[type]).length).toBeGreaterThan(0);
  });

  it.each(EVENT_TYPES)('%s: each key names a required, non-empty string field of its data schema', (type) => {
    const shape = dataShape(type);
    for (const [key, field] of Object.entries(EVENT_ENTITY_KEYS[type])) {
      expect({ key, field, declared: field in shape }).toEqual({ key, field, declared: true });
      const schema = shape[field] as z.ZodType;
      expect({ key, field, kind: schema instanceof z.ZodString }).toEqual({ key, field, kind: true });
      expect(schema.safeParse(undefined).success).toBe(false);
      expect(schema.safeParse('').success).toBe(false);
    }
  });

  it('name each entity the same way wherever it appears: a key name is a field name, or the id of its own subject', () => {
    // `itemId: 'id'` (item.* events are about the item: its id is `id`); elsewhere the field is named as the key.
    for (const type of EVENT_TYPES) {
      const entries = Object.entries(EVENT_ENTITY_KEYS[type]);
      entries.forEach(([key, field], index) => expect({ type, key, field: field === key || (index === 0 && field === 'id') }).toEqual({ type, key, field: true }));
    }
  });
});
