// Turns the stage's comma-separated `corsOrigins` param into the list that
// httpApi.cors.allowedOrigins wants, so each stage states its origins once
// (the same string also reaches handler-kit as CORS_ALLOWED_ORIGINS).
module.exports = async ({ resolveVariable }) =>
  String(await resolveVariable('param:corsOrigins'))
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
