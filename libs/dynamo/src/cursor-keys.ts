import { createHash } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { requiredEnv } from '@platform/errors';
import { awsClient, awsClientConfig } from '@platform/observability';
import { createCursorCodec, cursorKeyId, type CursorCodec, type CursorKey, type CursorKeys } from './cursor';

/** How long a container keeps the cursor secret before it reads Secrets Manager again. */
export const CURSOR_SECRET_MAX_AGE_SECONDS = 300;
/** A cursor naming a key the cached ones lack forces a fresh read, at most this often. */
export const CURSOR_KEYS_REFRESH_MS = 30_000;

type VersionStage = 'AWSCURRENT' | 'AWSPREVIOUS';
interface SecretVersion {
  versionId: string;
  secret: string;
}

/**
 * One version stage of a Secrets Manager secret, with its VersionId, through
 * Powertools Parameters. Its `getSecret` answers the value only, and caches by
 * secret id alone whatever `sdkOptions.VersionStage` asks for, so each stage
 * has a provider (and a cache) of its own whose answer is a JSON string:
 * `{versionId, secret}`, or `null` when no version has the stage (AWSPREVIOUS
 * of a secret never rotated), which is cached too, so that costs one call per
 * maxAge rather than one per request.
 */
class SecretStageProvider extends SecretsProvider {
  constructor(
    private readonly stage: VersionStage,
    client?: SecretsProvider['client'],
  ) {
    // Powertools' own client would wait forever on a hung endpoint: this one keeps to the invocation's deadline.
    super({ awsSdkV3Client: client ?? awsClient(new SecretsManagerClient(awsClientConfig())) });
  }

  protected override async _get(name: string): Promise<string> {
    try {
      const { VersionId, SecretString } = await this.client.send(new GetSecretValueCommand({ SecretId: name, VersionStage: this.stage }));
      return JSON.stringify(VersionId && SecretString ? ({ versionId: VersionId, secret: SecretString } satisfies SecretVersion) : null);
    } catch (error) {
      if (this.stage === 'AWSPREVIOUS' && (error as Error).name === 'ResourceNotFoundException') return 'null';
      throw error;
    }
  }
}

/**
 * The key id of a secret version: the first 16 hex digits (64 bits) of the
 * SHA-256 of its whole VersionId. A prefix of the VersionId itself would give
 * two versions that share it one id, so a cursor could be read with the wrong
 * key or refused; a digest of all of it tells any two versions apart, and
 * still shows nothing of the secret. Cursors made under the earlier ids (the
 * VersionId's first 8 characters) name no key any more: a 400, like any
 * unknown key id.
 */
export const versionKeyId = (versionId: string): string => createHash('sha256').update(versionId, 'utf8').digest('hex').slice(0, 16);

const versionKey = ({ versionId, secret }: SecretVersion): CursorKey => ({ id: versionKeyId(versionId), secret });

/**
 * The cursor keys in a Secrets Manager secret: AWSCURRENT makes cursors, and
 * AWSPREVIOUS, when there is one, is still accepted, so a rotation
 * (put-secret-value or rotate-secret) breaks no cursor in flight. Each stage is
 * cached for `maxAge` seconds; `refresh` reads both again.
 */
export const secretsManagerCursorKeys = (
  secretId: string,
  { client, maxAge = CURSOR_SECRET_MAX_AGE_SECONDS }: { client?: SecretsProvider['client']; maxAge?: number } = {},
): ((refresh?: boolean) => Promise<CursorKeys>) => {
  const current = new SecretStageProvider('AWSCURRENT', client);
  const previous = new SecretStageProvider('AWSPREVIOUS', current.client);
  const read = async (provider: SecretStageProvider, forceFetch: boolean): Promise<SecretVersion | null> =>
    JSON.parse((await provider.get(secretId, { maxAge, forceFetch })) as string) as SecretVersion | null;
  return async (refresh = false) => {
    const [now, before] = await Promise.all([read(current, refresh), read(previous, refresh)]);
    if (!now) throw new Error(`The cursor secret ${secretId} has no AWSCURRENT string value`);
    return { current: versionKey(now), previous: before ? [versionKey(before)] : [] };
  };
};

/**
 * Codecs for the keys `load` gives, rebuilt only when they change. A cursor
 * naming a key the cached keys lack (made by a container that saw a rotation
 * first) forces one fresh read, at most every CURSOR_KEYS_REFRESH_MS, so
 * unknown key ids cannot make every request a Secrets Manager call.
 */
export const cachedCursorCodecs = (
  load: (refresh?: boolean) => Promise<CursorKeys>,
  now: () => number = Date.now,
): ((cursor?: string) => Promise<CursorCodec>) => {
  let built: { keys: string; codec: CursorCodec } | undefined;
  let refreshedAt = -Infinity;
  const knows = ({ current, previous = [] }: CursorKeys, id: string) => [current, ...previous].some((key) => key.id === id);
  return async (cursor) => {
    let keys = await load();
    const id = cursor === undefined ? undefined : cursorKeyId(cursor);
    if (id !== undefined && !knows(keys, id) && now() - refreshedAt >= CURSOR_KEYS_REFRESH_MS) {
      refreshedAt = now();
      keys = await load(true);
    }
    const fingerprint = JSON.stringify(keys);
    if (built?.keys !== fingerprint) built = { keys: fingerprint, codec: createCursorCodec(keys) };
    return built.codec;
  };
};

let fromEnv: ((cursor?: string) => Promise<CursorCodec>) | undefined;

/**
 * The cursor codec for a request that carries `cursor` (or none), keyed by the
 * function's configuration, read on first use so that only functions that make
 * or read cursors need it:
 * - `CURSOR_SECRET_ARN` (AWS): the secret's AWSCURRENT and AWSPREVIOUS
 *   versions, read at run time with Powertools Parameters and cached
 *   (secretsManagerCursorKeys); the secret is never in the environment;
 * - otherwise `CURSOR_SECRET`, a fixed key in plain text, for stage `local`
 *   only, which has no Secrets Manager.
 */
export const cursorCodecFromEnv = async (cursor?: string): Promise<CursorCodec> => {
  if (!fromEnv) {
    const secretArn = process.env.CURSOR_SECRET_ARN;
    if (secretArn) {
      fromEnv = cachedCursorCodecs(secretsManagerCursorKeys(secretArn));
    } else {
      const local: CursorKeys = { current: { id: 'local', secret: requiredEnv('CURSOR_SECRET') } };
      fromEnv = cachedCursorCodecs(async () => local);
    }
  }
  return fromEnv(cursor);
};

/** Forgets the configuration cursorCodecFromEnv read (tests). */
export const resetCursorCodecFromEnv = (): void => {
  fromEnv = undefined;
};
