// The bounded fuzz run `npm test` makes: one local stack of its own, a fixed
// seed, 320 generated requests across every route, every property held.
// `npm run fuzz -- --runs 5000` is the long version (README, "Reliability").
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { runFuzz } from '@platform/fuzz/lib/run';
import { scenario } from '../lib/scenario.mjs';

const SEED = 20261127;
const RUNS = 320;

it(`holds every property over ${RUNS} generated requests on every route (seed ${SEED})`, { timeout: 300_000 }, async () => {
  /** @type {string[]} */
  const lines = [];
  const result = await runFuzz({ scenario, runs: RUNS, seed: SEED, progressEvery: 100, log: (line) => lines.push(line) });
  console.log(result.summary);
  assert.deepEqual(
    result.failures.map((failure) => failure.text),
    [],
    `replay with: ${result.failures.map((failure) => failure.replay).join(', ')}`,
  );
  assert.ok(result.requests >= 300, `${result.requests} requests`);
  // Every route, answered both ways; every property checked.
  for (const [route, statuses] of Object.entries(result.byRoute)) {
    const counts = Object.entries(statuses);
    assert.ok(counts.some(([status, count]) => Number(status) < 300 && count > 0), `${route} never succeeded: ${JSON.stringify(statuses)}`);
    assert.ok(counts.some(([status, count]) => Number(status) >= 400 && count > 0), `${route} was never refused: ${JSON.stringify(statuses)}`);
  }
  assert.deepEqual(Object.keys(result.byRoute).sort(), [...result.operations].sort(), 'every operation of the OpenAPI document is fuzzed');
  for (const property of ['answered', 'no5xx', 'errorShape', 'noLeak', 'challenge', 'status', 'openapi', 'unchanged']) {
    assert.ok((result.checksByProperty[property] ?? 0) > 0, `${property} was never checked`);
  }
  assert.ok(result.expectedSuccess >= 60 && result.expectedRefusal >= 100, `${result.expectedSuccess} valid, ${result.expectedRefusal} invalid`);
  assert.ok(result.tableChecks >= 50, `${result.tableChecks} refused writes checked against the tables`);
  // The hostile inputs the issue lists, each sent at least once.
  const exercised = Object.keys(result.coverage);
  for (const category of [
    'body:missing', 'body:set', 'body:prototype-key', 'body:raw', 'body:bytes', 'body:nest', 'body:body', 'body:pad', 'body:none', 'body:empty',
    'content-type:missing', 'header:extra', 'header:duplicate-authorization', 'id:odd', 'id:unroutable', 'id:others', 'query:pieces',
    'token:missing', 'token:algNone', 'token:expired', 'token:wrongAudience', 'token:forged', 'token:otherScope', 'idempotency-key:bad',
  ]) {
    assert.ok(exercised.includes(category), `${category} was never sent (exercised: ${exercised.sort().join(', ')})`);
  }
});
