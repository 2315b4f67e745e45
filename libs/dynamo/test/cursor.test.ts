import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { BadRequestError } from '@platform/errors';
import { createCursorCodec, cursorCodecFromEnv, MAX_CURSOR_LENGTH } from '../src';
import { cursorKeyId } from '../src/cursor';
import { cachedCursorCodecs, CURSOR_KEYS_REFRESH_MS, resetCursorCodecFromEnv, secretsManagerCursorKeys, versionKeyId } from '../src/cursor-keys';

const codec = createCursorCodec('a-test-secret-of-32-characters!!');
const key = { pk: 'ITEM#1', sk: 'ITEM', gsi1pk: 'ITEM', gsi1sk: '2026-01-01T00:00:00.000Z#1' };
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const rejects = (cursor: string, scope = 'items', by = codec) => expect(() => by.decode(cursor, scope)).toThrow(BadRequestError);

describe('pagination cursor', () => {
  it('round-trips a LastEvaluatedKey within its scope', () => {
    expect(codec.decode(codec.encode(key, 'items'), 'items')).toEqual(key);
  });

  it('is `v1-<key id>.<payload>`, the payload base64url without padding', () => {
    expect(codec.encode(key, 'items')).toMatch(/^v1-0\.[A-Za-z0-9_-]+$/);
    expect(createCursorCodec({ current: { id: 'abc12345', secret: 'a-test-secret-of-32-characters!!' } }).encode(key, 'items')).toMatch(/^v1-abc12345\./);
  });

  it('is opaque: encrypted, so neither the cursor nor its decoded payload shows the key schema', () => {
    const cursor = codec.encode(key, 'items');
    const decoded = cursor.split('.').map((part) => Buffer.from(part, 'base64url').toString('latin1'));
    // Whole JSON names and values of the key, not bare two-letter fragments: a random
    // ciphertext holds "pk" by chance in about one cursor in thirty.
    for (const shown of ['"ITEM"', '"pk"', '"gsi1pk"', 'ITEM#', '2026-']) {
      expect(cursor).not.toContain(shown);
      for (const part of decoded) expect(part).not.toContain(shown);
    }
  });

  it('never repeats: the same key gives a new cursor each time (random IV)', () => {
    expect(codec.encode(key, 'items')).not.toEqual(codec.encode(key, 'items'));
  });

  it.each([
    ['"="', '='],
    ['"=="', '=='],
    ['"!"', '!'],
    ['a space', ' '],
    ['a newline', '\n'],
    ['"A"', 'A'],
  ])('rejects a cursor with %s appended (strict, canonical decoding)', (_, suffix) => {
    rejects(`${codec.encode(key, 'items')}${suffix}`);
  });

  it('rejects every cursor that is not byte for byte one it made: any one character changed, added or removed', () => {
    const cursor = codec.encode(key, 'items');
    const flipLowBit = (char: string) => BASE64URL[BASE64URL.indexOf(char) ^ 1] ?? 'A';
    for (let at = 0; at < cursor.length; at += 1) {
      const char = cursor[at] as string;
      // Every character at the end, where a lenient decoder ignores stray bits; a sample elsewhere.
      const others = at >= cursor.length - 2 ? `${BASE64URL}+/.= !` : `${flipLowBit(char)}A_-+/.= !`;
      for (const other of others) if (other !== char) rejects(`${cursor.slice(0, at)}${other}${cursor.slice(at + 1)}`);
      rejects(`${cursor.slice(0, at)}${cursor.slice(at + 1)}`);
    }
  });

  it.each([
    ['a payload of plain base64 JSON (the old format)', () => `${Buffer.from(JSON.stringify(key)).toString('base64url')}.${'A'.repeat(43)}`],
    ['a missing payload', (c: string) => c.split('.')[0] as string],
    ['an empty payload', (c: string) => `${c.split('.')[0]}.`],
    ['an extra segment', (c: string) => `${c}.x`],
    ['another version', (c: string) => c.replace(/^v1-/, 'v2-')],
    ['a truncated payload', (c: string) => c.slice(0, -10)],
    ['garbage', () => 'not-a-cursor'],
    ['an empty string', () => ''],
    ['a huge string', () => 'a'.repeat(5000)],
    ['a cursor just over the size limit', (c: string) => `${c}${'A'.repeat(MAX_CURSOR_LENGTH)}`.slice(0, MAX_CURSOR_LENGTH + 1)],
  ])('rejects %s', (_, tamper) => {
    const cursor = codec.encode(key, 'items');
    const tampered = tamper(cursor);
    expect(tampered).not.toEqual(cursor);
    rejects(tampered);
  });

  it('rejects a cursor of another listing', () => {
    rejects(codec.encode(key, 'items'), 'orders');
  });

  it('rejects a cursor made with another secret', () => {
    rejects(createCursorCodec('another-secret-of-32-characters!').encode(key, 'items'));
  });

  it('rejects a validly encrypted payload that is not an object', () => {
    rejects(codec.encode(['x'] as unknown as Record<string, unknown>, 'items'));
  });

  it('refuses a short secret and a key id that is not 1-16 letters or digits', () => {
    expect(() => createCursorCodec('short')).toThrow(/at least 16/);
    expect(() => createCursorCodec({ current: { id: 'a.b', secret: 'a-test-secret-of-32-characters!!' } })).toThrow(/key id/);
    expect(() => createCursorCodec({ current: { id: '', secret: 'a-test-secret-of-32-characters!!' } })).toThrow(/key id/);
  });

  it('refuses to make a cursor it would itself refuse (over the size limit)', () => {
    expect(() => codec.encode({ pk: 'x'.repeat(MAX_CURSOR_LENGTH) }, 'items')).toThrow(/exceeds/);
  });

  it('names the key id of a cursor, and nothing for what is no cursor', () => {
    expect(cursorKeyId(codec.encode(key, 'items'))).toBe('0');
    expect(cursorKeyId('eyJwayI6MX0.c2ln')).toBeUndefined();
  });
});

describe('key rotation', () => {
  const k1 = { id: 'k1', secret: 'the-first-secret-of-32-characters' };
  const k2 = { id: 'k2', secret: 'the-second-secret-of-32-characters' };
  const before = createCursorCodec({ current: k1 });
  const after = createCursorCodec({ current: k2, previous: [k1] });

  it('makes cursors with the current key and still reads those of a previous key', () => {
    const old = before.encode(key, 'items');
    expect(after.encode(key, 'items')).toMatch(/^v1-k2\./);
    expect(after.decode(old, 'items')).toEqual(key);
    expect(after.decode(after.encode(key, 'items'), 'items')).toEqual(key);
  });

  it('rejects a cursor whose key is no longer kept (two rotations ago), or that names an unknown key', () => {
    const later = createCursorCodec({ current: { id: 'k3', secret: 'the-third-secret-of-32-characters!' }, previous: [k2] });
    rejects(before.encode(key, 'items'), 'items', later);
    rejects(after.encode(key, 'items').replace(/^v1-k2/, 'v1-k9'), 'items', after);
  });

  it('rejects a cursor relabelled with another key id it knows (the header is authenticated)', () => {
    rejects(after.encode(key, 'items').replace(/^v1-k2/, 'v1-k1'), 'items', after);
    const sameSecret = createCursorCodec({ current: { id: 'k2', secret: k1.secret }, previous: [k1] });
    rejects(before.encode(key, 'items').replace(/^v1-k1/, 'v1-k2'), 'items', sameSecret);
  });
});

/** A real SDK client whose `send` answers from `versions` (stage -> {VersionId, SecretString}) and counts calls. */
const fakeSecretsManager = (versions: Partial<Record<string, { VersionId: string; SecretString: string }>>) => {
  const client = new SecretsManagerClient({ region: 'us-east-1' });
  const calls: string[] = [];
  jest.spyOn(client, 'send').mockImplementation((async (command: GetSecretValueCommand) => {
    const stage = command.input.VersionStage ?? 'AWSCURRENT';
    calls.push(`${command.input.SecretId}@${stage}`);
    const version = versions[stage];
    if (!version) throw new ResourceNotFoundException({ message: `Secrets Manager can't find the specified secret value for staging label: ${stage}`, $metadata: {} });
    return { ...version, Name: 'cursor-secret' };
  }) as never);
  return { client, calls, versions };
};

const V1 = { VersionId: 'a1b2c3d4-0000-4000-8000-000000000001', SecretString: 'first-secret-of-48-characters-generated-by-sm-01' };
const V2 = { VersionId: 'e5f6a7b8-0000-4000-8000-000000000002', SecretString: 'second-secret-of-48-characters-generated-by-sm-2' };
// Their key ids: a digest of the whole VersionId.
const [ID1, ID2] = [versionKeyId(V1.VersionId), versionKeyId(V2.VersionId)];
const header = (id: string) => new RegExp(`^v1-${id}\\.`);
const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:items-api/dev/cursor-secret-AbCdEf';

describe('cursor keys from Secrets Manager (Powertools Parameters)', () => {
  it('reads AWSCURRENT and AWSPREVIOUS, each a key whose id is a digest of its whole VersionId', async () => {
    const sm = fakeSecretsManager({ AWSCURRENT: V2, AWSPREVIOUS: V1 });
    const keys = await secretsManagerCursorKeys(ARN, { client: sm.client })();
    expect(keys).toEqual({ current: { id: ID2, secret: V2.SecretString }, previous: [{ id: ID1, secret: V1.SecretString }] });
    expect(ID1).toMatch(/^[0-9a-f]{16}$/);
    expect(sm.calls.sort()).toEqual([`${ARN}@AWSCURRENT`, `${ARN}@AWSPREVIOUS`]);
  });

  it('does not fail when there is no AWSPREVIOUS (a secret never rotated), and remembers that too', async () => {
    const sm = fakeSecretsManager({ AWSCURRENT: V1 });
    const load = secretsManagerCursorKeys(ARN, { client: sm.client });
    expect(await load()).toEqual({ current: { id: ID1, secret: V1.SecretString }, previous: [] });
    await load();
    expect(sm.calls).toHaveLength(2);
  });

  it('caches both stages for maxAge, then reads them again', async () => {
    const sm = fakeSecretsManager({ AWSCURRENT: V1 });
    const cached = secretsManagerCursorKeys(ARN, { client: sm.client, maxAge: 300 });
    await cached();
    await cached();
    await cached();
    expect(sm.calls).toHaveLength(2);
    const uncached = secretsManagerCursorKeys(ARN, { client: sm.client, maxAge: 0 });
    await uncached();
    await uncached();
    expect(sm.calls).toHaveLength(6);
  });

  it('tells apart versions whose VersionIds share their first 8 characters, so each cursor is read with its own key', async () => {
    const twin = { VersionId: 'a1b2c3d4-ffff-4fff-8fff-00000000000f', SecretString: 'twin-secret-of-48-characters-generated-by-sm-003' };
    const sm = fakeSecretsManager({ AWSCURRENT: V1 });
    const load = secretsManagerCursorKeys(ARN, { client: sm.client, maxAge: 0 });
    const madeBefore = (await cachedCursorCodecs(load)()).encode(key, 'items');

    sm.versions.AWSPREVIOUS = V1;
    sm.versions.AWSCURRENT = twin;
    const keys = await load();
    expect(keys.current.id).not.toBe(keys.previous?.[0]?.id);
    const rotated = await cachedCursorCodecs(load)(madeBefore);
    expect(rotated.decode(madeBefore, 'items')).toEqual(key);
    const madeAfter = rotated.encode(key, 'items');
    expect(rotated.decode(madeAfter, 'items')).toEqual(key);
    expect(madeAfter.split('.')[0]).not.toBe(madeBefore.split('.')[0]);
  });

  it('refuses, as an invalid cursor (400), one that names its key the old way (the VersionId’s first 8 characters)', async () => {
    // What the same secret version made before the key id changed.
    const old = createCursorCodec({ current: { id: 'a1b2c3d4', secret: V1.SecretString } }).encode(key, 'items');
    const sm = fakeSecretsManager({ AWSCURRENT: V1 });
    const codec = await cachedCursorCodecs(secretsManagerCursorKeys(ARN, { client: sm.client }))(old);
    expect(() => codec.decode(old, 'items')).toThrow(BadRequestError);
  });

  it('fails the request when AWSCURRENT cannot be read', async () => {
    const sm = fakeSecretsManager({});
    await expect(secretsManagerCursorKeys(ARN, { client: sm.client })()).rejects.toThrow(/AWSCURRENT/);
  });

  it('keeps cursors made before a rotation working, and learns of a rotation from a cursor with an unknown key id', async () => {
    const sm = fakeSecretsManager({ AWSCURRENT: V1 });
    let clock = 1_000_000;
    // Two containers: `a` sees the rotation first; `b` still has V1 cached when a's cursor arrives.
    const a = cachedCursorCodecs(secretsManagerCursorKeys(ARN, { client: sm.client }), () => clock);
    const b = cachedCursorCodecs(secretsManagerCursorKeys(ARN, { client: sm.client }), () => clock);
    const madeBefore = (await b()).encode(key, 'items');
    expect(madeBefore).toMatch(header(ID1));

    sm.versions.AWSPREVIOUS = V1; // aws secretsmanager put-secret-value: V2 becomes AWSCURRENT, V1 AWSPREVIOUS
    sm.versions.AWSCURRENT = V2;
    const afterRotation = await a(madeBefore);
    expect(afterRotation.decode(madeBefore, 'items')).toEqual(key);
    const madeAfter = afterRotation.encode(key, 'items');
    expect(madeAfter).toMatch(header(ID2));

    const callsBefore = sm.calls.length;
    expect((await b(madeAfter)).decode(madeAfter, 'items')).toEqual(key); // b refreshed its cache for the unknown key id
    expect(sm.calls.length).toBe(callsBefore + 2);
    expect((await b()).encode(key, 'items')).toMatch(header(ID2));

    // Unknown key ids force a fresh read at most every CURSOR_KEYS_REFRESH_MS, then are a 400.
    const forged = madeAfter.replace(`v1-${ID2}.`, 'v1-deadbeef.');
    const first = await b(forged);
    expect(() => first.decode(forged, 'items')).toThrow(BadRequestError);
    await b(forged);
    await b(forged);
    expect(sm.calls.length).toBe(callsBefore + 2);
    clock += CURSOR_KEYS_REFRESH_MS;
    await b(forged);
    expect(sm.calls.length).toBe(callsBefore + 4);
  });
});

describe('cursorCodecFromEnv', () => {
  afterEach(() => {
    delete process.env.CURSOR_SECRET;
    delete process.env.CURSOR_SECRET_ARN;
    resetCursorCodecFromEnv();
    jest.restoreAllMocks();
  });

  it('on stage local: the fixed CURSOR_SECRET, needed only when a cursor is made or read', async () => {
    await expect(cursorCodecFromEnv()).rejects.toThrow('CURSOR_SECRET is not set');
    process.env.CURSOR_SECRET = 'a-secret-from-the-environment';
    const local = await cursorCodecFromEnv();
    const cursor = local.encode(key, 'items');
    expect(cursor).toMatch(/^v1-local\./);
    expect((await cursorCodecFromEnv(cursor)).decode(cursor, 'items')).toEqual(key);
  });

  it('in AWS: the secret CURSOR_SECRET_ARN names, read from Secrets Manager, never from the environment', async () => {
    const send = jest.spyOn(SecretsManagerClient.prototype, 'send').mockImplementation((async (command: GetSecretValueCommand) => {
      if (command.input.VersionStage === 'AWSCURRENT') return { ...V1, Name: 'cursor-secret' };
      throw new ResourceNotFoundException({ message: 'no AWSPREVIOUS', $metadata: {} });
    }) as never);
    process.env.CURSOR_SECRET_ARN = ARN;
    const cursor = (await cursorCodecFromEnv()).encode(key, 'items');
    expect(cursor).toMatch(header(ID1));
    expect(send.mock.calls.map(([command]) => (command as GetSecretValueCommand).input)).toEqual(
      expect.arrayContaining([
        { SecretId: ARN, VersionStage: 'AWSCURRENT' },
        { SecretId: ARN, VersionStage: 'AWSPREVIOUS' },
      ]),
    );
  });
});
