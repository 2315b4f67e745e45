// fast-check arbitraries made from a JSON Schema (the subset the OpenAPI
// document's request schemas use: objects, strings with lengths or a pattern,
// integers with bounds, enums), so the fuzzer generates each route's valid
// bodies from the route's own schema. `overrides` replaces the arbitrary of
// one property path (e.g. `name`) where the handler asks more than the schema
// says (a name that is not blank once trimmed), or where a value must come
// from the running system (an entity's current version).
import fc from 'fast-check';

/** @typedef {Record<string, any>} Json */

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

/** An integer in [min, max], the bounds included (fast-check favours them). @param {number} min @param {number} max */
export const integerIn = (min, max) =>
  min >= INT32_MIN && max <= INT32_MAX ? fc.integer({ min, max }) : fc.bigInt({ min: BigInt(min), max: BigInt(max) }).map(Number);

/** Strings of any code point, short, plus plain ASCII ones. */
export const anyText = ({ minLength = 0, maxLength = 40 } = {}) =>
  fc.oneof(
    fc.string({ unit: 'grapheme-ascii', minLength, maxLength }),
    fc.string({ unit: 'binary', minLength, maxLength: Math.max(minLength, Math.floor(maxLength / 2)) }),
  );

/** The bounds of an integer schema. @param {Json} schema @returns {{ min: number, max: number }} */
export const integerBounds = (schema) => {
  const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : -1_000_000_000);
  const max = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : 1_000_000_000);
  return { min, max };
};

/**
 * @param {Json} schema  refs already inlined
 * @param {Record<string, import('fast-check').Arbitrary<unknown>>} [overrides]  by dotted property path
 * @param {string} [at]
 * @returns {import('fast-check').Arbitrary<unknown>}
 */
export const arbitraryFor = (schema, overrides = {}, at = '') => {
  const override = overrides[at];
  if (override) return override;
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum);
  if ('const' in schema) return fc.constant(schema.const);
  const choices = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(choices)) return fc.oneof(...choices.map((choice) => arbitraryFor(choice, overrides, at)));
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const properties = schema.properties ?? {};
      const model = Object.fromEntries(
        Object.entries(properties).map(([key, property]) => [key, arbitraryFor(property, overrides, at ? `${at}.${key}` : key)]),
      );
      return fc.record(model, { requiredKeys: (schema.required ?? []).filter((/** @type {string} */ key) => key in properties) });
    }
    case 'array':
      return fc.array(arbitraryFor(schema.items ?? {}, overrides, `${at}[]`), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 5, 5) });
    case 'string': {
      if (typeof schema.pattern === 'string') {
        const pattern = new RegExp(schema.pattern);
        return fc.stringMatching(pattern).filter((text) => text.length >= (schema.minLength ?? 0) && text.length <= (schema.maxLength ?? Infinity));
      }
      const minLength = schema.minLength ?? 0;
      return anyText({ minLength, maxLength: Math.min(schema.maxLength ?? 40, Math.max(40, minLength)) });
    }
    case 'integer': {
      const { min, max } = integerBounds(schema);
      return integerIn(min, max);
    }
    case 'number':
      return fc.double({ min: schema.minimum, max: schema.maximum, noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
};
