import { createHmac, timingSafeEqual } from 'node:crypto';
import { BadRequestError, requiredEnv } from '@platform/errors';

export type LastEvaluatedKey = Record<string, unknown>;

/**
 * Pagination cursors are DynamoDB's LastEvaluatedKey, serialised and signed
 * with HMAC-SHA256. Clients cannot read them meaningfully, forge them, or
 * replay a cursor of one listing against another: the scope is signed too.
 */
export interface CursorCodec {
  encode(lastKey: LastEvaluatedKey, scope: string): string;
  decode(cursor: string, scope: string): LastEvaluatedKey;
}

const MAX_CURSOR_LENGTH = 1024;

export const createCursorCodec = (secret: string): CursorCodec => {
  if (secret.length < 16) throw new Error('The cursor secret must be at least 16 characters long');
  const sign = (payload: string, scope: string): Buffer =>
    createHmac('sha256', secret).update(scope).update('\n').update(payload).digest();

  const invalid = () => new BadRequestError('The cursor is invalid or has been tampered with');

  return {
    encode(lastKey, scope) {
      const payload = Buffer.from(JSON.stringify(lastKey)).toString('base64url');
      return `${payload}.${sign(payload, scope).toString('base64url')}`;
    },
    decode(cursor, scope) {
      if (cursor.length > MAX_CURSOR_LENGTH) throw invalid();
      const [payload, signature, ...rest] = cursor.split('.');
      if (!payload || !signature || rest.length > 0) throw invalid();
      const expected = sign(payload, scope);
      const given = Buffer.from(signature, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
      try {
        const key: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
        if (key === null || typeof key !== 'object' || Array.isArray(key)) throw invalid();
        return key as LastEvaluatedKey;
      } catch {
        throw invalid();
      }
    },
  };
};

let envCodec: CursorCodec | undefined;

const codecFromEnv = (): CursorCodec => {
  if (!envCodec) {
    envCodec = createCursorCodec(requiredEnv('CURSOR_SECRET'));
  }
  return envCodec;
};

/**
 * The codec keyed by `CURSOR_SECRET`, which it reads on first use, so only
 * the functions that really make or read cursors need the secret.
 */
export const cursorCodecFromEnv = (): CursorCodec => ({
  encode: (lastKey, scope) => codecFromEnv().encode(lastKey, scope),
  decode: (cursor, scope) => codecFromEnv().decode(cursor, scope),
});
