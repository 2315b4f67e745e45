// The Authorization headers the fuzzer sends: a good token for each of the
// scenario's callers, from the local dev issuer (the one the local stage
// trusts), and every kind of bad one the JWT authorizer must refuse, made the
// way tools/local-runtime/test/jwt-authorizer.test.mjs makes them. A kind says
// what the authorizer must decide about it.
import { SignJWT, UnsecuredJWT, generateKeyPair } from 'jose';
import { LOCAL_JWT_AUDIENCE, LOCAL_JWT_ISSUER } from '@platform/local-runtime/aws';
import { loadDevIssuer, subjectFor } from '@platform/local-runtime/gateway/dev-issuer';

/**
 * @typedef {object} TokenKind
 * @property {'valid' | 'invalid' | 'missing'} verdict  what the authorizer decides (missing: 401 with a bare `Bearer` challenge)
 * @property {string[]} [scopes]
 * @property {string} [email]  the verified email claim, when valid (may be unusable: see usableEmail)
 * @property {boolean} [usableEmail]  an email the API takes as the caller's
 * @property {string} [subject]
 */

/**
 * @typedef {import('@platform/local-runtime/gateway/dev-issuer').DevTokenClaims} DevTokenClaims
 *
 * @typedef {object} Caller  one of the scenario's callers: a good token the dev issuer signs
 * @property {DevTokenClaims} claims  what the token says (the subject defaults to the email's)
 * @property {boolean} usableEmail  whether the API takes its email claim as the caller's
 * @property {string} [scheme]  what comes before the token: 'Bearer ' (the default), 'bearer ', or '' for none
 *
 * @typedef {object} Callers  the scenario's callers, by kind name
 * @property {Record<string, Caller>} callers
 * @property {string} privileged  the caller whose token every route takes: the bad tokens claim what it may do
 * @property {string} unprivileged  a caller without those scopes: the tampered and forged tokens are its own, raised
 */

/** The bad kinds: whatever the route, the authorizer refuses them. @type {Record<string, TokenKind>} */
export const BAD_TOKEN_KINDS = {
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

/** Every kind of token that is no good token (no header at all included). */
export const BAD_KINDS = Object.entries(BAD_TOKEN_KINDS)
  .filter(([, kind]) => kind.verdict !== 'valid')
  .map(([name]) => name);

/**
 * What the authorizer decides about a caller's token, and what it then knows of the caller.
 * @param {Caller} caller @returns {TokenKind}
 */
export const callerKind = ({ claims, usableEmail }) => {
  const email = claims.email ?? (typeof claims.extra?.email === 'string' ? claims.extra.email : undefined);
  return {
    verdict: 'valid',
    scopes: claims.scopes ?? [],
    ...(email !== undefined && { email }),
    usableEmail,
    subject: claims.subject ?? subjectFor(claims.email),
  };
};

/**
 * Every kind of token, good (the scenario's callers, first) and bad, by name.
 * @param {Record<string, Caller>} callers @returns {Record<string, TokenKind>}
 */
export const tokenKinds = (callers) => ({
  ...Object.fromEntries(Object.entries(callers).map(([name, caller]) => [name, callerKind(caller)])),
  ...BAD_TOKEN_KINDS,
});

/**
 * A lookup of kinds by name that throws on an unknown one.
 * @param {Record<string, Caller>} callers @returns {(name: string) => TokenKind}
 */
export const kindLookup = (callers) => {
  const kinds = tokenKinds(callers);
  return (name) => {
    const kind = kinds[name];
    if (!kind) throw new Error(`Unknown token kind ${name}`);
    return kind;
  };
};

/** Tokens are re-made after this, well inside their hour. */
const MAX_AGE_MS = 20 * 60 * 1000;

/**
 * authorization(kind): the Authorization header value for a kind of token
 * (undefined: no header). Tokens are made on first use and kept for 20 minutes.
 * @param {Callers} spec
 * @returns {Promise<{ authorization: (kind: string) => Promise<string | undefined> }>}
 */
export const createTokenSource = async ({ callers, privileged, unprivileged }) => {
  const strong = callers[privileged];
  const weak = callers[unprivileged];
  if (!strong || !weak) throw new Error(`The callers name no ${strong ? unprivileged : privileged}`);
  const issuer = await loadDevIssuer();
  const kid = /** @type {{ kid: string }} */ (issuer.jwks.keys[0]).kid;
  const now = () => Math.floor(Date.now() / 1000);
  const stranger = await generateKeyPair('RS256');
  /** The privileged caller's claims, as a token's payload. */
  const strongClaims = { email: strong.claims.email, scope: (strong.claims.scopes ?? []).join(' ') };
  const strongSubject = strong.claims.subject ?? subjectFor(strong.claims.email);
  const weakSubject = weak.claims.subject ?? subjectFor(weak.claims.email);
  /** @param {DevTokenClaims} changes */
  const strongToken = (changes) => issuer.sign({ ...strong.claims, ...changes });

  /** The unprivileged caller with the privileged one's scopes, signed by a key the issuer does not have, under `keyId`. @param {string} keyId */
  const foreign = (keyId) =>
    new SignJWT({ email: weak.claims.email, scope: strongClaims.scope })
      .setProtectedHeader({ alg: 'RS256', kid: keyId })
      .setIssuer(LOCAL_JWT_ISSUER)
      .setAudience(LOCAL_JWT_AUDIENCE)
      .setSubject(weakSubject)
      .setIssuedAt(now())
      .setExpirationTime(now() + 600)
      .sign(stranger.privateKey);

  /** @type {Record<string, () => Promise<string | undefined>>} */
  const makers = {
    ...Object.fromEntries(Object.entries(callers).map(([name, caller]) => [name, async () => `${caller.scheme ?? 'Bearer '}${await issuer.sign(caller.claims)}`])),
    missing: async () => undefined,
    empty: async () => '',
    bearerOnly: async () => 'Bearer',
    malformed: async () => 'Bearer not-a-jwt',
    threeDots: async () => 'Bearer a.b.c',
    basic: async () => 'Basic ZnV6ejpmdXp6',
    // Large, yet with any other header the fuzzer sends well under Node's 16 KiB of headers.
    huge: async () => `Bearer ${'A'.repeat(3000)}.${'B'.repeat(2600)}.${'C'.repeat(400)}`,
    algNone: async () =>
      `Bearer ${new UnsecuredJWT(strongClaims).setIssuer(LOCAL_JWT_ISSUER).setAudience(LOCAL_JWT_AUDIENCE).setSubject(strongSubject).setIssuedAt(now()).setExpirationTime(now() + 600).encode()}`,
    hs256: async () =>
      `Bearer ${await new SignJWT(strongClaims)
        .setProtectedHeader({ alg: 'HS256', kid })
        .setIssuer(LOCAL_JWT_ISSUER)
        .setAudience(LOCAL_JWT_AUDIENCE)
        .setSubject(strongSubject)
        .setIssuedAt(now())
        .setExpirationTime(now() + 600)
        .sign(new TextEncoder().encode('a-shared-secret-nobody-should-accept'))}`,
    forged: async () => `Bearer ${await foreign(kid)}`,
    unknownKid: async () => `Bearer ${await foreign('someone-elses-key')}`,
    tamperedPayload: async () => {
      // The unprivileged caller's signature on a payload that grants the privileged one's scopes.
      const [header, , signature] = (await issuer.sign(weak.claims)).split('.');
      const payload = Buffer.from(
        JSON.stringify({ iss: LOCAL_JWT_ISSUER, aud: LOCAL_JWT_AUDIENCE, sub: weakSubject, email: weak.claims.email, scope: strongClaims.scope, exp: now() + 600 }),
      ).toString('base64url');
      return `Bearer ${header}.${payload}.${signature}`;
    },
    truncatedSignature: async () => `Bearer ${(await strongToken({})).slice(0, -6)}`,
    expired: async () => `Bearer ${await strongToken({ expiresInSeconds: -120 })}`,
    notYetValid: async () => `Bearer ${await strongToken({ notBefore: now() + 3600 })}`,
    issuedInFuture: async () => `Bearer ${await strongToken({ issuedAt: now() + 3600, expiresInSeconds: 7200 })}`,
    wrongIssuer: async () => `Bearer ${await strongToken({ issuer: 'https://issuer.example.com/' })}`,
    wrongAudience: async () => `Bearer ${await strongToken({ audience: 'another-api' })}`,
    noAudience: async () => `Bearer ${await strongToken({ audience: null })}`,
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
