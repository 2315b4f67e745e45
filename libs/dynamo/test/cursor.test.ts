import { BadRequestError } from '@platform/errors';
import { createCursorCodec, cursorCodecFromEnv } from '../src';

const codec = createCursorCodec('a-test-secret-of-32-characters!!');
const key = { pk: 'ITEM#1', sk: 'ITEM', gsi1pk: 'ITEM', gsi1sk: '2026-01-01T00:00:00.000Z#1' };

describe('pagination cursor', () => {
  it('round-trips a LastEvaluatedKey within its scope', () => {
    expect(codec.decode(codec.encode(key, 'items'), 'items')).toEqual(key);
  });

  it('is opaque: no key attribute is readable in the cursor', () => {
    expect(codec.encode(key, 'items')).not.toContain('ITEM');
  });

  it.each([
    ['a flipped payload character', (c: string) => (c[0] === 'A' ? 'B' : 'A') + c.slice(1)],
    ['a re-signed payload of another key', (c: string) => `${Buffer.from('{"pk":"ORDER#1"}').toString('base64url')}.${c.split('.')[1]}`],
    ['a missing signature', (c: string) => c.split('.')[0] as string],
    ['an extra segment', (c: string) => `${c}.x`],
    ['garbage', () => 'not-a-cursor'],
    ['an empty string', () => ''],
    ['a huge string', () => 'a'.repeat(5000)],
  ])('rejects %s', (_, tamper) => {
    expect(() => codec.decode(tamper(codec.encode(key, 'items')), 'items')).toThrow(BadRequestError);
  });

  it('rejects a cursor of another listing', () => {
    expect(() => codec.decode(codec.encode(key, 'items'), 'orders')).toThrow(BadRequestError);
  });

  it('rejects a cursor signed with another secret', () => {
    const other = createCursorCodec('another-secret-of-32-characters!');
    expect(() => codec.decode(other.encode(key, 'items'), 'items')).toThrow(BadRequestError);
  });

  it('rejects a validly signed payload that is not an object', () => {
    const forged = createCursorCodec('a-test-secret-of-32-characters!!');
    const cursor = forged.encode(['x'] as unknown as Record<string, unknown>, 'items');
    expect(() => codec.decode(cursor, 'items')).toThrow(BadRequestError);
  });

  it('refuses a short secret', () => {
    expect(() => createCursorCodec('short')).toThrow(/at least 16/);
  });
});

describe('cursorCodecFromEnv', () => {
  it('needs CURSOR_SECRET only when a cursor is made or read', () => {
    delete process.env.CURSOR_SECRET;
    const lazy = cursorCodecFromEnv();
    expect(() => lazy.encode(key, 'items')).toThrow('CURSOR_SECRET is not set');
    process.env.CURSOR_SECRET = 'a-secret-from-the-environment';
    expect(lazy.decode(lazy.encode(key, 'items'), 'items')).toEqual(key);
  });
});
