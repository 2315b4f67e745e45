// The local stage's token issuer. API Gateway trusts an OIDC issuer's keys;
// locally that issuer is this module: an RSA key pair made on first use into
// .local-issuer/ (git-ignored, never shared), whose public half the local
// gateway verifies tokens with, and whose private half `npm run token` signs
// them with. It is the only issuer the local stage trusts (its name,
// LOCAL_JWT_ISSUER, is compiled into the local templates' authorizers).
import { createHash, randomUUID } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, importJWK } from 'jose';
import { LOCAL_JWT_AUDIENCE, LOCAL_JWT_ISSUER } from '../aws.cjs';
import { ROOT } from '../stack/services.mjs';

export const DEV_ISSUER_DIR = path.join(ROOT, '.local-issuer');
const KEY_FILE = 'signing-key.json';
/** RS256: API Gateway's JWT authorizers verify RSA signatures. */
export const SIGNING_ALG = 'RS256';

const makeKeyFile = async () => {
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG, { modulusLength: 2048, extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = createHash('sha256').update(JSON.stringify(publicJwk)).digest('base64url').slice(0, 16);
  return { kid, privateJwk: { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALG }, publicJwk: { ...publicJwk, kid, alg: SIGNING_ALG, use: 'sig' } };
};

/**
 * The key pair in `dir`, made on first use. Two processes starting at once
 * (`npm start` beside `npm test`) agree on one pair: each writes its own
 * file and links it into place, and whoever loses the race reads the winner's.
 * @param {string} dir
 * @returns {Promise<{ kid: string, privateJwk: import('jose').JWK, publicJwk: import('jose').JWK }>}
 */
const loadKeyFile = async (dir) => {
  const file = path.join(dir, KEY_FILE);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (caught) {
    const error = /** @type {NodeJS.ErrnoException} */ (caught);
    if (error.code !== 'ENOENT') throw new Error(`Cannot read the dev issuer's key (${file}): ${error.message}; delete the folder to make a new one`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const scratch = path.join(dir, `${KEY_FILE}.${process.pid}.${randomUUID()}`);
  writeFileSync(scratch, JSON.stringify(await makeKeyFile(), null, 2), { mode: 0o600 });
  try {
    linkSync(scratch, file);
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EEXIST') throw error;
  } finally {
    rmSync(scratch, { force: true });
  }
  return JSON.parse(readFileSync(file, 'utf8'));
};

/**
 * @param {{ dir?: string }} [options]
 * @returns {Promise<{ issuer: string, audience: string, jwks: { keys: object[] }, sign: (claims: DevTokenClaims) => Promise<string> }>}
 *
 * @typedef {{ email?: string, subject?: string, scopes?: string[], expiresInSeconds?: number,
 *   issuer?: string, audience?: string | null, notBefore?: number, issuedAt?: number, kid?: string | null, extra?: Record<string, unknown> }} DevTokenClaims
 *   issuer, audience (null: none), notBefore, issuedAt and the header's kid (null: none) override the defaults: tests use them to make wrong tokens.
 */
export const loadDevIssuer = async ({ dir = DEV_ISSUER_DIR } = {}) => {
  const { kid, privateJwk, publicJwk } = await loadKeyFile(dir);
  const privateKey = await importJWK(privateJwk, SIGNING_ALG);

  /** @param {DevTokenClaims} claims */
  const sign = async ({ email, subject, scopes = [], expiresInSeconds = 3600, issuer = LOCAL_JWT_ISSUER, audience = LOCAL_JWT_AUDIENCE, notBefore, issuedAt, kid: headerKid = kid, extra = {} }) => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({ ...(email && { email }), ...(scopes.length > 0 && { scope: scopes.join(' ') }), ...extra })
      .setProtectedHeader({ alg: SIGNING_ALG, ...(headerKid !== null && { kid: headerKid }), typ: 'JWT' })
      .setIssuer(issuer)
      .setSubject(subject ?? subjectFor(email))
      .setIssuedAt(issuedAt ?? now)
      .setNotBefore(notBefore ?? now)
      .setExpirationTime(now + expiresInSeconds)
      .setJti(randomUUID());
    if (audience !== null) jwt.setAudience(audience);
    return jwt.sign(privateKey);
  };

  return { issuer: LOCAL_JWT_ISSUER, audience: LOCAL_JWT_AUDIENCE, jwks: { keys: [publicJwk] }, sign };
};

/** A stable subject per email, as a real issuer gives each account one id: the same email is the same customer. @param {string | undefined} email */
export const subjectFor = (email) =>
  email ? `dev|${createHash('sha256').update(email.toLowerCase()).digest('hex').slice(0, 24)}` : `dev|${randomUUID()}`;

export const JWKS_PATH = '/.well-known/jwks.json';

/**
 * A gateway extra serving the dev issuer's public keys, for anyone checking a local token by hand.
 * @param {{ keys: object[] }} jwks
 * @returns {import('@platform/local-runtime/types').GatewayExtra}
 */
export const serveJwks = (jwks) => {
  const body = JSON.stringify(jwks);
  return (req, res, pathname) => {
    if (pathname !== JWKS_PATH || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'max-age=300' });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
};
