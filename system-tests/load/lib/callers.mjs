// The bench calls the API as its users do: catalogue staff create the items,
// one customer places every order, each with a token from the local dev
// issuer (as `npm run token` makes them). Tokens outlive the longest bench.
import { loadDevIssuer } from '@platform/local-runtime/gateway/dev-issuer';

const BENCH_TOKEN_SECONDS = 6 * 3600;

/** @returns {Promise<{ staff: Record<string, string>, customer: Record<string, string> }>} */
export const benchCallers = async () => {
  const issuer = await loadDevIssuer();
  const header = async (/** @type {import('@platform/local-runtime/gateway/dev-issuer').DevTokenClaims} */ claims) => ({ authorization: `Bearer ${await issuer.sign({ ...claims, expiresInSeconds: BENCH_TOKEN_SECONDS })}` });
  return {
    staff: await header({ email: 'bench-staff@example.com', scopes: ['items:write'] }),
    customer: await header({ email: 'bench@example.com' }),
  };
};
