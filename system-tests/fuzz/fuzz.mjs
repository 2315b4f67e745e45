#!/usr/bin/env node
// `npm run fuzz`: property-based fuzzing of every HTTP route with fast-check,
// against a local stack of its own (free ports) or a running one: the
// platform's engine (@platform/fuzz) run with the catalog and orders scenario
// (lib/scenario.mjs).
//   --runs N           generated requests (default 1000)
//   --seed S           the seed (default: a random one, printed)
//   --path P           with --seed, replay the counterexample at fast-check's path P
//   --api-url URL      fuzz a running stack (e.g. http://localhost:3000 of `npm start`) instead of starting one
//   --dynamodb-endpoint URL  that stack's DynamoDB, for the table checks (default http://127.0.0.1:$DYNAMODB_PORT or :8000)
//   --keep-going       report every failing request (unshrunk, each with its replay path) instead of stopping at the first
// Exit code 0 when every property held, 1 when one failed, 2 on a usage or setup error.
import { parseArgs } from 'node:util';
import { runFuzz } from '@platform/fuzz/lib/run';
import { scenario } from './lib/scenario.mjs';

const usage = 'usage: npm run fuzz -- [--runs N] [--seed S [--path P]] [--api-url URL [--dynamodb-endpoint URL]] [--keep-going]';

const main = async () => {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string' },
      seed: { type: 'string' },
      path: { type: 'string' },
      'api-url': { type: 'string' },
      'dynamodb-endpoint': { type: 'string' },
      'keep-going': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const runs = values.runs === undefined ? 1000 : Number(values.runs);
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (!Number.isInteger(runs) || runs < 1) throw new UsageError(`--runs must be a whole number above 0, not ${values.runs}`);
  if (seed !== undefined && (!Number.isInteger(seed) || seed < -0x80000000 || seed > 0xffffffff)) throw new UsageError(`--seed must be a 32-bit integer, not ${values.seed}`);
  if (values.path !== undefined && seed === undefined) throw new UsageError('--path replays a counterexample of a seed: give --seed too');
  const result = await runFuzz({
    scenario,
    runs,
    seed,
    path: values.path,
    apiUrl: values['api-url'],
    dynamodbEndpoint: values['dynamodb-endpoint'],
    keepGoing: values['keep-going'] ?? false,
  });
  console.log(result.summary);
  return result.failures.length === 0 ? 0 : 1;
};

class UsageError extends Error {}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error instanceof UsageError ? `${error.message}\n${usage}` : `fuzz: ${error instanceof Error ? error.stack : error}`);
    process.exitCode = 2;
  },
);
