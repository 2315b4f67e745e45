// The Authorization headers the fuzzer sends: good tokens from the local dev
// issuer (the one the local stage trusts), and every kind of bad one the JWT
// authorizer must refuse, made the way tools/local-runtime/test/jwt-authorizer.test.mjs
// makes them. A kind says what the authorizer must decide about it.
import { SignJWT, UnsecuredJWT, generateKeyPair } from 'jose';
import { LOCAL_JWT_AUDIENCE, LOCAL_JWT_ISSUER } from '@platform/local-runtime/aws';
import { loadDevIssuer, subjectFor } from '@platform/local-runtime/gateway/dev-issuer';

/** The fuzzer's callers. Customers are identified by the subject the dev issuer derives from the email. */
export const EMAILS = {
  staff: 'fuzz-staff@example.com',
  ada: 'fuzz-ada@example.com',
  bob: 'fuzz-bob@example.com',
};

/**
 * @typedef {object} TokenKind
 * @property {'valid' | 'invalid' | 'missing'} verdict  what the authorizer decides (missing: 401 with a bare `Bearer` challenge)
 * @property {string[]} [scopes]
 * @property {string} [email]  the verified email claim, when valid (may be unusable: see usableEmail)
 * @property {boolean} [usableEmail]  an email customerOf() accepts
 * @property {string} [subject]
 */

/** @type {Record<string, TokenKind>} */
export const TOKEN_KINDS = {
  staff: { verdict: 'valid', scopes: ['items:write'], email: EMAILS.staff, usableEmail: true, subject: subjectFor(EMAILS.staff) },
  ada: { verdict: 'valid', scopes: [], email: EMAILS.ada, usableEmail: true, subject: subjectFor(EMAILS.ada) },
  // The same customer, the email claim in capitals: the same subject, the same orders.
  adaUpper: { verdict: 'valid', scopes: [], email: EMAILS.ada.toUpperCase(), usableEmail: true, subject: subjectFor(EMAILS.ada) },
  bob: { verdict: 'valid', scopes: [], email: EMAILS.bob, usableEmail: true, subject: subjectFor(EMAILS.bob) },
  otherScope: { verdict: 'valid', scopes: ['items:read'], email: 'fuzz-reader@example.com', usableEmail: true, subject: subjectFor('fuzz-reader@example.com') },
  noEmail: { verdict: 'valid', scopes: ['items:write'], usableEmail: false, subject: 'fuzz|no-email' },
  badEmail: { verdict: 'valid', scopes: [], email: 'not-an-email', usableEmail: false, subject: 'fuzz|bad-email' },
  missing: { verdict: 'missing' },
  empty: { verdict: 'missing' },
  bearerOnly: { verdict: 'invalid' },
  malformed: { verdict: 'invalid' },
  threeDots: { verdict: 'invalid' },
  basic: { verdict: 'invalid' },
  huge: { verdict: 'invalid' },
  algNone: { verdict: 'invalid' },
  hs256: { verdict: 'invalid' },
  forged: { verdict: 'invalid' },
  unknownKid: { verdict: 'invalid' },
  tamperedPayload: { verdict: 'invalid' },
  truncatedSignature: { verdict: 'invalid' },
  expired: { verdict: 'invalid' },
  notYetValid: { verdict: 'invalid' },
  issuedInFuture: { verdict: 'invalid' },
  wrongIssuer: { verdict: 'invalid' },
  wrongAudience: { verdict: 'invalid' },
  noAudience: { verdict: 'invalid' },
};

/** @param {string} name @returns {TokenKind} */
export const tokenKind = (name) => {
  const kind = TOKEN_KINDS[name];
  if (!kind) throw new Error(`Unknown token kind ${name}`);
  return kind;
};

export const BAD_KINDS = Object.entries(TOKEN_KINDS).filter(([, kind]) => kind.verdict !== 'valid').map(([name]) => name);

/** Tokens are re-made after this, well inside their hour. */
const MAX_AGE_MS = 20 * 60 * 1000;

/**
 * authorization(kind): the Authorization header value for a kind of token
 * (undefined: no header). Tokens are made on first use and kept for 20 minutes.
 */
export const createTokenSource = async () => {
  const issuer = await loadDevIssuer();
  const kid = /** @type {{ kid: string }} */ (issuer.jwks.keys[0]).kid;
  const now = () => Math.floor(Date.now() / 1000);
  const stranger = await generateKeyPair('RS256');

  /** A token signed by a key the issuer does not have, under `kid`. */
  const foreign = (claims, keyId) =>
    new SignJWT({ email: EMAILS.ada, scope: 'items:write', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: keyId })
      .setIssuer(LOCAL_JWT_ISSUER)
      .setAudience(LOCAL_JWT_AUDIENCE)
      .setSubject(subjectFor(EMAILS.ada))
      .setIssuedAt(now())
      .setExpirationTime(now() + 600)
      .sign(stranger.privateKey);

  /** @type {Record<string, () => Promise<string | undefined>>} */
  const makers = {
    staff: async () => `Bearer ${await issuer.sign({ email: EMAILS.staff, scopes: ['items:write'] })}`,
    ada: async () => `Bearer ${await issuer.sign({ email: EMAILS.ada })}`,
    adaUpper: async () => `bearer ${await issuer.sign({ email: EMAILS.ada.toUpperCase(), subject: subjectFor(EMAILS.ada) })}`,
    bob: async () => await issuer.sign({ email: EMAILS.bob }),
    otherScope: async () => `Bearer ${await issuer.sign({ email: 'fuzz-reader@example.com', scopes: ['items:read'] })}`,
    noEmail: async () => `Bearer ${await issuer.sign({ subject: 'fuzz|no-email', scopes: ['items:write'] })}`,
    badEmail: async () => `Bearer ${await issuer.sign({ subject: 'fuzz|bad-email', extra: { email: 'not-an-email' } })}`,
    missing: async () => undefined,
    empty: async () => '',
    bearerOnly: async () => 'Bearer',
    malformed: async () => 'Bearer not-a-jwt',
    threeDots: async () => 'Bearer a.b.c',
    basic: async () => 'Basic ZnV6ejpmdXp6',
    // Large, yet with any other header the fuzzer sends well under Node's 16 KiB of headers.
    huge: async () => `Bearer ${'A'.repeat(3000)}.${'B'.repeat(2600)}.${'C'.repeat(400)}`,
    algNone: async () =>
      `Bearer ${new UnsecuredJWT({ email: EMAILS.staff, scope: 'items:write' })
        .setIssuer(LOCAL_JWT_ISSUER)
        .setAudience(LOCAL_JWT_AUDIENCE)
        .setSubject(subjectFor(EMAILS.staff))
        .setIssuedAt(now())
        .setExpirationTime(now() + 600)
        .encode()}`,
    hs256: async () =>
      `Bearer ${await new SignJWT({ email: EMAILS.staff, scope: 'items:write' })
        .setProtectedHeader({ alg: 'HS256', kid })
        .setIssuer(LOCAL_JWT_ISSUER)
        .setAudience(LOCAL_JWT_AUDIENCE)
        .setSubject(subjectFor(EMAILS.staff))
        .setIssuedAt(now())
        .setExpirationTime(now() + 600)
        .sign(new TextEncoder().encode('a-shared-secret-nobody-should-accept'))}`,
    forged: async () => `Bearer ${await foreign({}, kid)}`,
    unknownKid: async () => `Bearer ${await foreign({}, 'someone-elses-key')}`,
    tamperedPayload: async () => {
      // A customer's signature on a payload that grants items:write.
      const [header, , signature] = (await issuer.sign({ email: EMAILS.ada })).split('.');
      const payload = Buffer.from(
        JSON.stringify({ iss: LOCAL_JWT_ISSUER, aud: LOCAL_JWT_AUDIENCE, sub: subjectFor(EMAILS.ada), email: EMAILS.ada, scope: 'items:write', exp: now() + 600 }),
      ).toString('base64url');
      return `Bearer ${header}.${payload}.${signature}`;
    },
    truncatedSignature: async () => `Bearer ${(await issuer.sign({ email: EMAILS.staff, scopes: ['items:write'] })).slice(0, -6)}`,
    expired: async () => `Bearer ${await issuer.sign({ email: EMAILS.staff, scopes: ['items:write'], expiresInSeconds: -120 })}`,
    notYetValid: async () => `Bearer ${await issuer.sign({ email: EMAILS.staff, scopes: ['items:write'], notBefore: now() + 3600 })}`,
    issuedInFuture: async () => `Bearer ${await issuer.sign({ email: EMAILS.staff, scopes: ['items:write'], issuedAt: now() + 3600, expiresInSeconds: 7200 })}`,
    wrongIssuer: async () => `Bearer ${await issuer.sign({ email: EMAILS.staff, scopes: ['items:write'], issuer: 'https://issuer.example.com/' })}`,
    wrongAudience: async () => `Bearer ${await issuer.sign({ email: EMAILS.staff, scopes: ['items:write'], audience: 'another-api' })}`,
    noAudience: async () => `Bearer ${await issuer.sign({ email: EMAILS.staff, scopes: ['items:write'], audience: null })}`,
  };

  /** @type {Map<string, { at: number, value: string | undefined }>} */
  const cache = new Map();
  /** @param {string} kind @returns {Promise<string | undefined>} */
  const authorization = async (kind) => {
    const make = makers[kind];
    if (!make) throw new Error(`No token of kind ${kind}`);
    const cached = cache.get(kind);
    if (cached && Date.now() - cached.at < MAX_AGE_MS) return cached.value;
    const value = await make();
    cache.set(kind, { at: Date.now(), value });
    return value;
  };
  return { authorization };
};
