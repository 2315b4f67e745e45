#!/usr/bin/env node
// `npm run -s token -- --email ada@example.com [--scope <scope>] [--expires 1h]`
// prints a bearer token from the local dev issuer, and nothing else, so that
//   curl -H "authorization: Bearer $(npm run -s token -- --email ada@example.com)" …
// works. The token is only good for the local stack: no AWS stage trusts this issuer.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadDevIssuer } from './gateway/dev-issuer.mjs';

const USAGE = 'usage: npm run -s token -- --email ada@example.com [--scope <scope>]... [--expires 1h] [--sub id]';
const UNITS = { s: 1, m: 60, h: 3600, d: 86400 };
/** Longer-lived tokens than this are a mistake even locally: they outlive any session worth testing. */
const MAX_EXPIRY_SECONDS = 30 * UNITS.d;

/** "90", "90s", "15m", "1h", "2d" → seconds. @param {string} text */
export const parseExpiry = (text) => {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * UNITS[/** @type {keyof typeof UNITS} */ (match[2] || 's')] : NaN;
  if (!(seconds > 0) || seconds > MAX_EXPIRY_SECONDS) throw new Error(`--expires must be like 90s, 15m, 1h or 2d (at most 30d), got "${text}"`);
  return seconds;
};

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The token `argv` asks for (the command line after `--`). @param {string[]} argv */
export const tokenRequest = (argv) => {
  const { values } = parseArgs({
    args: argv,
    options: {
      email: { type: 'string' },
      scope: { type: 'string', multiple: true, default: [] },
      expires: { type: 'string', default: '1h' },
      sub: { type: 'string' },
    },
    strict: true,
  });
  if (!values.email || !EMAIL.test(values.email)) throw new Error(`--email is required and must be an email address. ${USAGE}`);
  // --scope may repeat, and each may hold several scopes separated by spaces or commas.
  const scopes = [...new Set(values.scope.flatMap((entry) => entry.split(/[\s,]+/)).filter(Boolean))];
  return { email: values.email, scopes, expiresInSeconds: parseExpiry(values.expires), ...(values.sub && { subject: values.sub }) };
};

const main = async () => {
  let request;
  try {
    request = tokenRequest(process.argv.slice(2));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(message.includes('usage:') ? message : `${message}\n${USAGE}`);
    process.exit(2);
  }
  const issuer = await loadDevIssuer();
  process.stdout.write(`${await issuer.sign(request)}\n`);
};

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((/** @type {Error} */ error) => {
    console.error(`Could not make a token: ${error.message}`);
    process.exit(1);
  });
}
