// The bench engine's own parts, without a stack and without the domain: the
// statistics, the phase selection with what a (fake) scenario's phases need,
// the open loop's schedule, the seeded generator and the retry backoff, the
// CPU reading of /proc, and the report: the engine's rows and targets beside a
// fake scenario's, written as the table, bench.json and bench.md.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { readStat } from '../lib/cpu.mjs';
import { backoffMs, limited } from '../lib/http-client.mjs';
import { createRandom } from '../lib/random.mjs';
import { phasesOf, selectPhases } from '../lib/run.mjs';
import { openLoop } from '../lib/schedule.mjs';
import { median, percentile, ratio } from '../lib/stats.mjs';
import { engineRows, engineTargets, fmtMs, fmtRate, rowList, targetList, writeReport } from '../lib/table.mjs';

/** A scenario of two phases: `browse` set beside the HTTP ceiling, `checkout` beside the transactions and after `browse` unless told a rate. */
/** @type {import('../lib/run.mjs').BenchScenario} */
const scenario = {
  modes: { full: { browse: { pages: 100 } }, smoke: { browse: { pages: 3 } } },
  phases: [
    { name: 'browse', needs: () => ['http'], load: true },
    { name: 'checkout', needs: ({ rate }) => (rate === undefined ? ['browse', 'storage-tx'] : ['storage-tx']) },
  ],
  burst: { what: 'GET /things', request: () => ({ method: 'GET', path: '/things' }) },
  run: async () => {},
  rows: (r) => {
    const { rows, add } = rowList();
    add({ id: 'browse@1', section: 2, what: 'GET /things via the gateway', load: '1 conn', value: fmtRate(r.browse?.rps) });
    add({ id: 'checkout', section: 4, what: 'Checkouts per second', load: '3 carts', value: fmtRate(r.checkout?.rate), p50: fmtMs(r.checkout?.p50) });
    return rows;
  },
  targets: (r) => {
    const { targets, add } = targetList(r);
    add('checkout', 'Checkout: ≥ 1/s', fmtRate(r.checkout?.rate), r.checkout?.rate >= 1, ['the fake saga is slow']);
    return targets;
  },
};

describe('the statistics', () => {
  it('take nearest-rank percentiles, medians and ratios, NaN when there is nothing to take', () => {
    assert.equal(percentile([5, 1, 4, 2, 3], 50), 3);
    assert.equal(percentile([5, 1, 4, 2, 3], 99), 5);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(percentile([], 50)));
    assert.ok(Number.isNaN(ratio(1, 0)));
    assert.equal(ratio(1, 4), 0.25);
  });
});

describe('the phases', () => {
  it('run in order: the engine’s ceilings, the scenario’s phases, the cold loads', () => {
    assert.deepEqual(phasesOf(scenario, {}).all, ['startup', 'burst', 'http', 'storage-getitem', 'storage-tx', 'browse', 'checkout', 'cold-load']);
    assert.ok(!phasesOf({ ...scenario, burst: undefined }, {}).all.includes('burst'), 'no cold burst without a request for it');
  });

  it('run what --only names, plus what those phases need', () => {
    const phases = phasesOf(scenario, {});
    assert.deepEqual(selectPhases(undefined, phases), phases.all);
    assert.deepEqual(selectPhases('checkout', phases), ['http', 'storage-tx', 'browse', 'checkout']);
    assert.deepEqual(selectPhases('checkout', phasesOf(scenario, { rate: 2 })), ['storage-tx', 'checkout']);
    assert.deepEqual(selectPhases('storage,cold-load', phases), ['storage-getitem', 'storage-tx', 'cold-load']);
    assert.equal(selectPhases('nope', phases), '--only: unknown phase nope');
    assert.equal(selectPhases(' , ', phases), '--only names no phase');
  });
});

describe('the schedules', () => {
  it('send an open loop at its rate, without waiting for earlier answers', async () => {
    const sentAt = /** @type {number[]} */ ([]);
    const started = performance.now();
    const { results, lags } = await openLoop({
      rate: 100,
      count: 5,
      send: async (i) => {
        sentAt.push(performance.now() - started);
        // Each answer takes longer than the interval: a closed loop would fall behind.
        await new Promise((resolve) => setTimeout(resolve, 50));
        return i * 2;
      },
    });
    assert.deepEqual(results, [0, 2, 4, 6, 8]);
    assert.equal(lags.length, 5);
    assert.ok((sentAt[4] ?? 0) < 45 + 40, `the fifth send went at ${sentAt[4]} ms, not about 40 ms`);
    await assert.rejects(openLoop({ rate: 0, count: 1, send: async () => 0 }), /positive rate/);
  });

  it('keep at most `limit` tasks in flight, results in order', async () => {
    let inFlight = 0;
    let most = 0;
    const task = (/** @type {number} */ i) => async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
      return i;
    };
    assert.deepEqual(await limited(2, [0, 1, 2, 3, 4].map(task)), [0, 1, 2, 3, 4]);
    assert.equal(most, 2);
  });

  it('back off 0.5 s doubling to 8 s', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 19].map((attempt) => backoffMs(attempt)), [500, 1000, 2000, 4000, 8000, 8000, 8000]);
    assert.equal(backoffMs(2, { firstMs: 10, maxMs: 25 }), 25);
  });

  it('repeat a workload’s draws from its seed', () => {
    const a = createRandom(7);
    const b = createRandom(7);
    const draws = Array.from({ length: 20 }, () => a.int(1, 100));
    assert.deepEqual(draws, Array.from({ length: 20 }, () => b.int(1, 100)));
    assert.ok(draws.every((n) => n >= 1 && n <= 100));
    assert.notDeepEqual(draws, Array.from({ length: 20 }, () => createRandom(8).int(1, 100)));
  });
});

describe('the CPU reading', { skip: process.platform !== 'linux' }, () => {
  it('reads its own process from /proc', () => {
    const stat = readStat(process.pid);
    assert.equal(stat?.pid, process.pid);
    assert.ok((stat?.utime ?? -1) >= 0 && (stat?.ppid ?? 0) > 0);
  });
});

describe('the report', () => {
  /** Results as a smoke run of the fake scenario leaves them. */
  const results = () => ({
    config: { mode: 'smoke', levels: [1], burst: 100, phases: ['startup', 'burst', 'http', 'storage-getitem', 'storage-tx', 'browse', 'checkout'] },
    meta: { startedAt: '2026-12-01T00:00:00.000Z', node: '20', cpus: 2, durationMs: 61_000 },
    startup: { stackReadyMs: 9_000, bareReadyMs: 3_000, phases: [{ phase: 'until ready', ms: 9_000 }], templates: 'Compiled templates reused' },
    coldBurst: { what: 'GET /things', stack: { count: 100, ok: 100, wallMs: 900, p50: 300, p99: 800, non2xx: 0, nonJson: 0, timeouts: 0, statuses: { 200: 100 }, answers: [{}] }, bare: { p50: 20, p99: 90, statuses: { 200: 100 } } },
    ceilings: { http: [{ connections: 1, rps: 900, p50: 1, p99: 3, errors: 0 }], getItem: [{ connections: 1, rps: 400, p50: 2, p99: 5, errors: 0 }], transaction: [{ connections: 1, rps: 200, p50: 4, p99: 9, errors: 0 }] },
    cpu: { cores: 2, clockTicksPerSecond: 100, phases: [] },
    coldLoad: undefined,
    failures: [],
    notes: ['a note'],
    browse: { rps: 50 },
    checkout: { rate: 0.5, p50: 700 },
  });

  it('sets the scenario’s rows between the engine’s, by section, and its targets between the cold burst’s and start-up’s', () => {
    const r = results();
    const rows = [...engineRows(r), ...scenario.rows(r)].sort((a, b) => a.section - b.section);
    assert.deepEqual(
      rows.map((row) => row.id),
      ['http-ceiling@1', 'getitem-ceiling@1', 'transaction-ceiling@1', 'browse@1', 'cold-burst', 'checkout', 'npm-start'],
    );
    assert.equal(rows.find((row) => row.id === 'cold-burst')?.what, 'Cold burst: 100 concurrent GET /things, fresh stack');
    const { before, after } = engineTargets(r);
    const targets = [...before, ...scenario.targets(r), ...after];
    assert.deepEqual(
      targets.map((t) => [t.id, t.verdict]),
      [
        ['cold-burst', 'PASS'],
        ['checkout', 'MISS'],
        ['npm-start', 'PASS'],
      ],
    );
    assert.deepEqual(targets[1]?.heldBackBy, ['the fake saga is slow']);
  });

  it('says which targets did not run', () => {
    const r = { ...results(), config: { ...results().config, only: 'cold-load', phases: ['cold-load'] } };
    const { before, after } = engineTargets(r);
    assert.deepEqual([...before, ...after].map((t) => t.verdict), ['NOT RUN', 'NOT RUN']);
    assert.deepEqual(engineRows(r).map((row) => row.id), ['cold-load:?/?']);
  });

  it('prints the table and writes bench.json (NaN as null) and bench.md', () => {
    const outDir = mkdtempSync(path.join(os.tmpdir(), 'bench-engine-'));
    try {
      const r = { ...results(), startup: { ...results().startup, bareReadyMs: NaN } };
      const rows = [...engineRows(r), ...scenario.rows(r)].sort((a, b) => a.section - b.section);
      let printed = '';
      writeReport({ results: r, outDir, rows, targets: scenario.targets(r), print: (text) => (printed += text) });
      assert.match(printed, /^Bench \(smoke, 2 CPUs, node 20\)/);
      assert.match(printed, /Ceiling \(same run\)/);
      assert.match(printed, /MISS {2}Checkout: ≥ 1\/s: 0\.5\/s\n {8}held back by: the fake saga is slow/);
      const json = JSON.parse(readFileSync(path.join(outDir, 'bench.json'), 'utf8'));
      assert.equal(json.details.startup.bareReadyMs, null);
      assert.equal(json.details.coldBurst.stack.answers, undefined, 'per-request detail is left out');
      assert.deepEqual(json.rows.map((/** @type {{ id: string }} */ row) => row.id), rows.map((row) => row.id));
      assert.match(readFileSync(path.join(outDir, 'bench.md'), 'utf8'), /\| # \| What \| Load \| Value \| p50 \| p99 \| Errors \| Ceiling \(same run\) \| Ratio \|/);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });
});
