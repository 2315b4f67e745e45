// What API Gateway's JWT authorizer does for a route that has one, before
// any function runs, following "Control access to HTTP APIs with JWT
// authorizers" (the evaluation workflow) and its troubleshooting page:
//   1. take the token from the identity source, with or without "Bearer ";
//   2. decode it, check its algorithm (RSA only) and its signature against
//      the issuer's JWKS, by `kid`, which the token must carry;
//   3. check iss, aud (or client_id when there is no aud), exp, nbf and iat;
//   4. check that the scope/scp claim holds at least one of the route's scopes.
// A failure in 1-3 is a 401, in 4 a 403, each with the www-authenticate
// header AWS sends. The signature is checked by `jose`, never by hand.
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify } from 'jose';

/** API Gateway verifies RSA signatures only. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512'];
const DISCOVERY_TIMEOUT_MS = 5000;

class Refusal extends Error {
  /** @param {string} description what www-authenticate says (never the token) */
  constructor(description) {
    super(description);
    this.description = description;
  }
}

/** @param {string} description @param {{ tokenGiven?: boolean }} [options] */
const unauthorized = (description, { tokenGiven = true } = {}) => ({
  ok: /** @type {const} */ (false),
  statusCode: 401,
  code: 'UNAUTHORIZED',
  message: tokenGiven ? `The bearer token was refused: ${description}` : 'This route needs a bearer token in the Authorization header',
  // RFC 6750 §3.1: a request with no credentials gets the challenge without an error code.
  wwwAuthenticate: tokenGiven ? `Bearer scope="" error="invalid_token" error_description="${description}"` : 'Bearer',
  reason: tokenGiven ? `invalid_token (${description})` : 'no token',
});

/** @param {string[]} scopes */
const forbidden = (scopes) => ({
  ok: /** @type {const} */ (false),
  statusCode: 403,
  code: 'FORBIDDEN',
  message: `The token lacks the scope this route needs: one of ${scopes.join(', ')}`,
  wwwAuthenticate: `Bearer scope="${scopes.join(' ')}" error="insufficient_scope" error_description="expected scopes: [${scopes.join(' ')}]"`,
  reason: `insufficient_scope (needs ${scopes.join(' or ')})`,
});

/**
 * The token from an identity source such as "$request.header.Authorization".
 * @param {string} identitySource @param {import('node:http').IncomingHttpHeaders} headers
 */
const tokenFrom = (identitySource, headers) => {
  const header = /^\$request\.header\.(.+)$/.exec(identitySource ?? '')?.[1]?.toLowerCase();
  if (!header) throw new Error(`The local gateway reads JWTs from a request header only, not from ${identitySource}`);
  const value = /** @type {string | undefined} */ (headers[header])?.trim();
  if (!value) return undefined;
  return /^bearer\s+/i.test(value) ? value.replace(/^bearer\s+/i, '').trim() : value;
};

/** Why jose refused a token, worded as API Gateway's error_description does; never the token itself. @param {unknown} error */
const describe = (error) => {
  if (error instanceof Refusal) return error.description;
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'the token is not valid yet';
    if (error.claim === 'iss') return 'the token does not have a valid issuer';
    if (error.claim === 'exp') return 'the token has no valid expiry';
    return `the token has an invalid ${error.claim} claim`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the token is not signed with a supported algorithm';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the token signature is invalid';
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) return 'the token is signed with an unknown key';
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return "the issuer's keys could not be fetched";
  return 'the token is malformed';
};

/**
 * The issuer's keys, looked up by the token's `kid` only. API Gateway refuses
 * a token without one; jose alone would try every key of the JWKS that fits,
 * so with a one-key issuer (the dev issuer) a kid-less token would pass
 * locally and fail in AWS. jose calls this after it has checked the algorithm,
 * so a wrong algorithm is still reported as such.
 * @param {(header: import('jose').JWTHeaderParameters, token: import('jose').FlattenedJWSInput) => Promise<any>} keys
 */
const byKidOnly = (keys) => async (/** @type {import('jose').JWTHeaderParameters} */ header, /** @type {import('jose').FlattenedJWSInput} */ token) => {
  if (typeof header.kid !== 'string' || header.kid === '') throw new Refusal('the token has no kid header');
  return keys(header, token);
};

/** @param {import('jose').JWTPayload} payload */
const audiencesOf = (payload) => {
  if (payload.aud !== undefined) return [payload.aud].flat().map(String);
  return payload.client_id === undefined ? [] : [String(payload.client_id)];
};

/** The token's scopes, from `scope` (space-separated) or `scp` (list or string). @param {import('jose').JWTPayload} payload @returns {string[]} */
const scopesOf = (payload) => {
  const raw = payload.scope ?? payload.scp;
  if (Array.isArray(raw)) return raw.map(String);
  return typeof raw === 'string' ? raw.split(' ').filter(Boolean) : [];
};

/** Claims as payload 2.0 carries them: every value a string, a list as "[a b]". @param {import('jose').JWTPayload} payload */
const flattenClaims = (payload) =>
  Object.fromEntries(
    Object.entries(payload).map(([name, value]) => [
      name,
      Array.isArray(value) ? `[${value.join(' ')}]` : typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value),
    ]),
  );

/**
 * The keys of an issuer: the local dev issuer's are given; any other
 * issuer's come from its OIDC discovery document, as API Gateway fetches them.
 * @param {{ issuer: string, jwks: { keys: object[] } }[]} localIssuers
 */
export const createKeyResolver = (localIssuers = []) => {
  const sets = new Map(localIssuers.map(({ issuer, jwks }) => [issuer, createLocalJWKSet(/** @type {any} */ (jwks))]));
  /** @type {Map<string, Promise<ReturnType<typeof createRemoteJWKSet>>>} */
  const discovered = new Map();
  /** @param {string} issuer */
  const discover = async (issuer) => {
    const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const response = await fetch(url, { signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS) });
    if (!response.ok) throw new Refusal("the issuer's keys could not be fetched");
    const { jwks_uri: jwksUri } = /** @type {{ jwks_uri?: string }} */ (await response.json());
    if (!jwksUri) throw new Refusal("the issuer's keys could not be fetched");
    return createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: DISCOVERY_TIMEOUT_MS });
  };
  /** @param {string} issuer */
  return async (issuer) => {
    const local = sets.get(issuer);
    if (local) return local;
    if (!discovered.has(issuer)) {
      // A failed discovery is retried on the next request rather than remembered.
      const pending = discover(issuer).catch((error) => {
        discovered.delete(issuer);
        throw error instanceof Refusal ? error : new Refusal("the issuer's keys could not be fetched");
      });
      discovered.set(issuer, pending);
    }
    return discovered.get(issuer);
  };
};

/**
 * authorize(route.auth, headers) → { ok: true, context } with the payload 2.0
 * `requestContext.authorizer`, or { ok: false, statusCode, code, message,
 * wwwAuthenticate, reason }. `route.auth` is what http-routes.mjs read from
 * the compiled template: { issuer, audience[], scopes[], identitySource }.
 * @param {{ keysFor: (issuer: string) => Promise<any>, now?: () => number }} options
 * @returns {import('@platform/local-runtime/types').Authorize}
 */
export const createJwtAuthorizer = ({ keysFor, now = () => Date.now() }) => {
  /** @param {string} token @param {import('@platform/local-runtime/types').RouteAuth} auth */
  const verify = async (token, auth) => {
    const keys = await keysFor(auth.issuer);
    const currentDate = new Date(now());
    const { payload } = await jwtVerify(token, byKidOnly(keys), { algorithms: ALGORITHMS, issuer: auth.issuer, requiredClaims: ['exp'], currentDate });
    if (typeof payload.iat === 'number' && payload.iat * 1000 > currentDate.getTime()) throw new Refusal('the token was issued in the future');
    if (!audiencesOf(payload).some((entry) => auth.audience.includes(entry))) throw new Refusal('the token does not have a valid audience');
    return payload;
  };

  return async (auth, headers) => {
    const token = tokenFrom(auth.identitySource, headers);
    if (!token) return unauthorized('', { tokenGiven: false });
    let payload;
    try {
      // An unsigned or undecodable token is refused before any key is looked up.
      decodeProtectedHeader(token);
      payload = await verify(token, auth);
    } catch (error) {
      return unauthorized(describe(error));
    }
    const scopes = scopesOf(payload);
    if (auth.scopes.length > 0 && !auth.scopes.some((scope) => scopes.includes(scope))) return forbidden(auth.scopes);
    return { ok: /** @type {const} */ (true), context: { jwt: { claims: flattenClaims(payload), scopes: scopes.length > 0 ? scopes : null } } };
  };
};
