#!/usr/bin/env node
// `npm run dlq -- <list|peek|redrive|purge> …`: the queues' failures, on the
// local stack by default or on a deployed stage with --stage. See lib/cli.mjs.
// The SDK's Node-version notice would make a one-line error two; the
// environment is set before the SDK loads, hence the dynamic import.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { main } = await import('./lib/cli.mjs');
process.exitCode = await main(process.argv.slice(2));
