/**
 * CORS headers for a response, from the comma-separated CORS_ALLOWED_ORIGINS
 * ("*" allows any origin). In AWS the HTTP API answers preflights from the
 * same per-stage setting; these headers cover direct invocations and local runs.
 */
export const corsHeaders = (
  requestOrigin: string | undefined,
  allowed = process.env.CORS_ALLOWED_ORIGINS ?? '',
): Record<string, string> => {
  const origins = allowed
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  if (origins.includes('*')) return { 'access-control-allow-origin': '*' };
  if (requestOrigin && origins.includes(requestOrigin)) {
    return { 'access-control-allow-origin': requestOrigin, vary: 'origin' };
  }
  return {};
};
