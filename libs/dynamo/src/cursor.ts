import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { BadRequestError } from '@platform/errors';

export type LastEvaluatedKey = Record<string, unknown>;

/** A cursor key: a secret of at least 16 characters and the id the cursors made with it carry. */
export interface CursorKey {
  /** 1–16 letters or digits; cursors name it in clear, so never derive it from the secret. */
  readonly id: string;
  readonly secret: string;
}

/** The key new cursors are made with, and older keys whose cursors are still accepted (after a rotation). */
export interface CursorKeys {
  readonly current: CursorKey;
  readonly previous?: readonly CursorKey[];
}

/**
 * Pagination cursors are DynamoDB's LastEvaluatedKey, encrypted: opaque to
 * clients (they show nothing of the table's keys), impossible to forge or
 * alter, and bound to their listing, so a cursor of one listing is refused by
 * another. Anything that is not byte for byte a cursor this codec made is a
 * BadRequestError (400).
 *
 * Format: `v1-<key id>.<payload>`, the payload being base64url without
 * padding of IV (12 random bytes) ‖ AES-256-GCM ciphertext of the JSON key ‖
 * tag (16 bytes). The AES key is HKDF-SHA256 of the secret, for this version
 * and key id; the header and the scope are authenticated data. The key id
 * picks the key a cursor is decrypted with, so cursors made before a rotation
 * keep working while their key is among the previous ones.
 */
export interface CursorCodec {
  encode(lastKey: LastEvaluatedKey, scope: string): string;
  decode(cursor: string, scope: string): LastEvaluatedKey;
}

export const MAX_CURSOR_LENGTH = 1024;

const VERSION = 'v1';
const KEY_ID = /^[A-Za-z0-9]{1,16}$/;
const CURSOR = /^v1-([A-Za-z0-9]{1,16})\.([A-Za-z0-9_-]+)$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The id of the key a cursor names, or undefined when it is no cursor at all. */
export const cursorKeyId = (cursor: string): string | undefined => CURSOR.exec(cursor)?.[1];

const aesKey = ({ id, secret }: CursorKey): Buffer => {
  if (!KEY_ID.test(id)) throw new Error(`A cursor key id is 1-16 letters or digits, not ${JSON.stringify(id)}`);
  if (secret.length < 16) throw new Error('The cursor secret must be at least 16 characters long');
  return Buffer.from(hkdfSync('sha256', secret, 'platform/dynamo pagination cursor', `${VERSION}:${id}`, 32));
};

const additionalData = (header: string, scope: string): Buffer => Buffer.from(`${header}\n${scope}`, 'utf8');

/** A codec for these keys; a bare secret is a single key with id `0` (tests, local tools). */
export const createCursorCodec = (keys: CursorKeys | string): CursorCodec => {
  const { current, previous = [] } = typeof keys === 'string' ? { current: { id: '0', secret: keys } } : keys;
  const byId = new Map<string, Buffer>();
  for (const key of [...previous, current]) byId.set(key.id, aesKey(key));
  const currentHeader = `${VERSION}-${current.id}`;
  const currentKey = byId.get(current.id) as Buffer;

  const invalid = () => new BadRequestError('The cursor is invalid or has been tampered with');

  return {
    encode(lastKey, scope) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', currentKey, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(additionalData(currentHeader, scope));
      const sealed = Buffer.concat([iv, cipher.update(JSON.stringify(lastKey), 'utf8'), cipher.final(), cipher.getAuthTag()]);
      const cursor = `${currentHeader}.${sealed.toString('base64url')}`;
      // A cursor decode would refuse is a bug here, not the client's.
      if (cursor.length > MAX_CURSOR_LENGTH) throw new Error(`A cursor of ${cursor.length} characters exceeds ${MAX_CURSOR_LENGTH}`);
      return cursor;
    },
    decode(cursor, scope) {
      if (typeof cursor !== 'string' || cursor.length > MAX_CURSOR_LENGTH) throw invalid();
      const [, id, payload] = CURSOR.exec(cursor) ?? [];
      const key = id === undefined ? undefined : byId.get(id);
      if (!key || !payload) throw invalid();
      // Strict base64url: Node's decoder skips characters outside the alphabet and
      // ignores stray trailing bits, so only a payload that re-encodes to itself counts.
      const sealed = Buffer.from(payload, 'base64url');
      if (sealed.length <= IV_BYTES + TAG_BYTES || sealed.toString('base64url') !== payload) throw invalid();
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
        decipher.setAAD(additionalData(`${VERSION}-${id}`, scope));
        decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
        const plain = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
        const lastKey: unknown = JSON.parse(plain.toString('utf8'));
        if (lastKey === null || typeof lastKey !== 'object' || Array.isArray(lastKey)) throw invalid();
        return lastKey as LastEvaluatedKey;
      } catch {
        throw invalid();
      }
    },
  };
};
