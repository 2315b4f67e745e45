import { ForbiddenError, UnauthorizedError } from '@platform/errors';
import type { APIGatewayProxyEventV2, APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import * as z from 'zod';

/**
 * Who made the request, as API Gateway's JWT authorizer verified it (the
 * local gateway verifies the same way). Handlers never see or parse the token.
 */
export interface Caller {
  /** The token's `sub`: a stable id of the caller at the issuer. */
  subject: string;
  /** Every verified claim, as API Gateway passes them: values flattened to strings. */
  claims: Readonly<Record<string, string>>;
  scopes: readonly string[];
}

/** A customer: the caller, with the email their issuer vouches for. */
export interface Customer {
  id: string;
  email: string;
}

/** The verified caller of a request; undefined on a public route. */
export const callerOf = (event: APIGatewayProxyEventV2): Caller | undefined => {
  const jwt = (event as Partial<APIGatewayProxyEventV2WithJWTAuthorizer>).requestContext?.authorizer?.jwt;
  const claims = jwt?.claims;
  if (!claims || typeof claims.sub !== 'string' || claims.sub === '') return undefined;
  return {
    subject: claims.sub,
    claims: Object.fromEntries(Object.entries(claims).map(([name, value]) => [name, String(value)])),
    scopes: jwt.scopes ?? [],
  };
};

const EmailClaim = z.email().max(254);

/**
 * Whether the issuer leaves the email's ownership in doubt. Order mail goes to
 * this address, so an issuer saying it is unverified (`email_verified: false`,
 * which reaches us as the string "false") must not make anyone a customer of
 * someone else's mailbox. Only an explicit true vouches; any other value is
 * doubt too. An absent claim is accepted: many issuers leave it out of access
 * tokens, and verifying before issuing is then their job (docs/api.md).
 */
const emailUnverified = (caller: Caller, emailClaim: string): boolean => {
  const verified = caller.claims[`${emailClaim}_verified`];
  return verified !== undefined && verified.trim().toLowerCase() !== 'true';
};

/**
 * The customer behind a request. A route that calls this must sit behind the
 * JWT authorizer: with no verified caller it answers 401 rather than act for
 * nobody. A token without a usable email claim (JWT_EMAIL_CLAIM, `email` by
 * default), or whose issuer says that email is not verified (the claim's name
 * with `_verified`, so `email_verified` by default), is a 403: the caller is
 * known, but cannot be a customer.
 */
export const customerOf = (caller: Caller | undefined, emailClaim = process.env.JWT_EMAIL_CLAIM || 'email'): Customer => {
  if (!caller) throw new UnauthorizedError('This route needs a signed-in customer');
  const email = EmailClaim.safeParse(caller.claims[emailClaim]);
  if (!email.success) throw new ForbiddenError(`The token carries no valid "${emailClaim}" claim, so it cannot place or read orders`);
  if (emailUnverified(caller, emailClaim)) {
    throw new ForbiddenError(`The token's "${emailClaim}" is not verified by its issuer, so it cannot place or read orders`);
  }
  return { id: caller.subject, email: email.data.toLowerCase() };
};
