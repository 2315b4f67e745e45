import { ItemIdSchema, ItemPatchSchema, NewItemSchema } from '../../src/domain';

describe('item schemas', () => {
  it('accepts a complete new item and trims its name', () => {
    expect(NewItemSchema.parse({ name: ' pen ', priceCents: 120, stock: 5 })).toEqual({ name: 'pen', priceCents: 120, stock: 5 });
  });

  it.each([
    [{ name: 'pen', priceCents: 1.5, stock: 1 }, 'priceCents'],
    [{ name: 'pen', priceCents: 1, stock: -1 }, 'stock'],
    [{ name: 'pen', priceCents: '1', stock: 1 }, 'priceCents'],
    [{ priceCents: 1, stock: 1 }, 'name'],
    [{ name: 'pen', priceCents: 1, stock: 1, id: 'x' }, ''],
  ])('rejects %p at %s', (input, path) => {
    const result = NewItemSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain(path);
  });

  it.each([
    ['NUL', 'pen\u0000'],
    ['a C0 control', 'pen\u001b[31m'],
    ['an inner line break', 'pen\nink'],
    ['DEL', 'pen\u007f'],
    ['a C1 control', 'pen\u0085'],
    ['a lone high surrogate', 'pen\ud83d'],
    ['a lone low surrogate', '\ude00pen'],
  ])('refuses a name with %s, new or changed', (_what, name) => {
    for (const result of [NewItemSchema.safeParse({ name, priceCents: 1, stock: 1 }), ItemPatchSchema.safeParse({ expectedVersion: 1, name })]) {
      expect(result.success).toBe(false);
      expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['name']);
    }
  });

  it('accepts names in any script, emoji (surrogate pairs) included, trimming outer whitespace', () => {
    for (const name of ['café', 'Füller 😀', '万年筆', '\tpen\n']) {
      expect(NewItemSchema.safeParse({ name, priceCents: 1, stock: 1 }).success).toBe(true);
      expect(ItemPatchSchema.safeParse({ expectedVersion: 1, name }).success).toBe(true);
    }
  });

  it('requires an expected version and at least one change in a patch', () => {
    expect(ItemPatchSchema.safeParse({ stock: 1 }).success).toBe(false);
    expect(ItemPatchSchema.safeParse({ expectedVersion: 1 }).success).toBe(false);
    expect(ItemPatchSchema.safeParse({ expectedVersion: 1, stock: 0 }).success).toBe(true);
  });

  it('accepts only ids that cannot break a key', () => {
    expect(ItemIdSchema.safeParse('4c7f1c3e-9f7a-4d7e-8f3e-1b2c3d4e5f60').success).toBe(true);
    expect(ItemIdSchema.safeParse('ITEM#1').success).toBe(false);
    expect(ItemIdSchema.safeParse('x'.repeat(65)).success).toBe(false);
  });
});
