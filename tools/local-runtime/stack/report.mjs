// What `npm start` prints once everything is up: where each part listens,
// which routes go where, and what each event source feeds.

/** @param {{ auth?: { scopes: string[] } }} route */
const accessOf = (route) => (!route.auth ? 'public' : route.auth.scopes.length > 0 ? `token with ${route.auth.scopes.join(' or ')}` : 'token');

/**
 * A public GET route without parameters, to try with curl.
 * @param {number} port @param {Array<{ method: string, path: string, auth?: unknown }>} routes
 */
const tryCurl = (port, routes) => {
  const route = routes.find(({ method, path, auth }) => method === 'GET' && !auth && !path.includes('{'));
  return route ? `   (try: curl http://localhost:${port}${route.path})` : '';
};

/**
 * @param {{ config: import('./config.mjs').LocalConfig, routes: Array<{ method: string, path: string, service: string, auth?: { scopes: string[] } }>,
 *   offline: Array<{ service: { name: string }, ports: { lambda: number } }>, pollers: Array<{ description: string }>,
 *   startedAt: number, reusedTemplates: string[], consoleUrl?: string }} state
 * @returns {string[]}
 */
export const readyReport = ({ config, routes, offline, pollers, startedAt, reusedTemplates, consoleUrl }) => [
  '',
  `  HTTP gateway     http://localhost:${config.httpPort}${tryCurl(config.httpPort, routes)}`,
  ...routes.map((route) => `    ${route.method.padEnd(6)} ${route.path.padEnd(16)} → ${route.service.padEnd(16)} ${accessOf(route)}`),
  `  API reference    http://localhost:${config.httpPort}/docs   (OpenAPI: /openapi.json)`,
  consoleUrl ? `  Console          ${consoleUrl}   (every hop live, queues and DLQs, tables, replay; CONSOLE_PORT)` : '  Console          off (LOCAL_CONSOLE=off)',
  `  Tokens           npm run -s token -- --email you@example.com [--scope <scope>]   (dev issuer: .local-issuer/)`,
  `  DynamoDB Local   http://localhost:${config.dynamodbPort}`,
  `  SNS + SQS        http://localhost:${config.snsSqsPort}   (fauxqs)`,
  ...offline.map(({ service, ports }) => `  ${service.name.padEnd(16)} Lambda invoke API on http://localhost:${ports.lambda}`),
  `  Each function runs at most ${config.concurrency} invocations at once (LOCAL_LAMBDA_CONCURRENCY); more wait their turn.`,
  ...pollers.map((poller) => `  ${poller.description}`),
  ...(config.consumerFaultEvery
    ? [`  Fault injection  1 record in ${config.consumerFaultEvery} each SQS event source takes fails, alternately before and after its handling (LOCAL_FAULT_CONSUMER_THROW_EVERY)`]
    : []),
  reusedTemplates.length > 0 ? `  Compiled templates reused (their inputs did not change): ${reusedTemplates.join(', ')}` : '  Every template compiled afresh.',
  '',
  `Local stack ready in ${((performance.now() - startedAt) / 1000).toFixed(1)} s: the API on http://localhost:${config.httpPort} (Ctrl-C stops everything)`,
];
