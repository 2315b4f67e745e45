#!/usr/bin/env node
// `npm run dlq -- <list|peek|redrive|purge> …`: the queues' failures, on the
// local stack by default or on a deployed stage with --stage. See lib/cli.mjs.
import { main } from './lib/cli.mjs';

process.exitCode = await main(process.argv.slice(2));
