// What `npm start` says once it is ready, about what this stack's settings change:
// the schedules and when they run, where the data lives, where the traces went.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readConfig } from '../stack/config.mjs';
import { readyReport, runtimeLines } from '../stack/report.mjs';

const report = (env, extra = {}) =>
  readyReport({ config: readConfig(env), routes: [], offline: [], pollers: [], startedAt: performance.now(), reusedTemplates: [], ...extra });

describe('the ready report', () => {
  it('says the data is in memory, in one line, unless LOCAL_PERSIST=1', () => {
    const data = report({}).filter((line) => line.includes('Data '));
    assert.deepEqual(data, ['  Data             in memory: every table and queue starts empty and is gone after Ctrl-C (LOCAL_PERSIST=1 keeps them)']);
    const kept = report({ LOCAL_PERSIST: '1' }, { keptTables: 2 }).filter((line) => line.includes('Data '));
    assert.equal(kept.length, 1);
    assert.match(kept[0], /tables, queues and their messages kept in \.local-data\/ \(LOCAL_PERSIST=1; 2 table\(s\) found from an earlier run\)$/);
  });

  it('lists each schedule and when it first runs, or that they are off', () => {
    const schedules = [{ description: 'svc-local-SweepRule: rate(5 minutes) → svc-local-sweep (first run 5 min after ready)' }];
    const lines = report({}, { schedules });
    const at = lines.findIndex((line) => line.startsWith('  Schedules '));
    assert.deepEqual(lines.slice(at, at + 2), [
      '  Schedules        run once the stack is ready, through the invoker (LOCAL_SCHEDULES=off turns them off):',
      '    svc-local-SweepRule: rate(5 minutes) → svc-local-sweep (first run 5 min after ready)',
    ]);
    assert.ok(report({ LOCAL_SCHEDULES: 'off' }, { schedules }).includes('  Schedules        off (LOCAL_SCHEDULES=off): 1 schedule(s) of the templates never run'));
    assert.ok(!report({}).some((line) => line.startsWith('  Schedules ')));
  });

  it('says where the stack traces of failed invocations went', () => {
    assert.ok(report({}).some((line) => /^ {2}Logs {13}a failed invocation is one line, with its request id; LOCAL_LOG_LEVEL=debug adds serverless-offline's stack traces$/.test(line)));
    for (const env of [{ LOCAL_LOG_LEVEL: 'debug' }, { LOG_LEVEL: 'DEBUG' }]) assert.equal(readConfig(env).showDebug, true);
    assert.equal(readConfig({ LOG_LEVEL: 'DEBUG', LOCAL_LOG_LEVEL: 'info' }).showDebug, false);
    assert.throws(() => readConfig({ LOCAL_LOG_LEVEL: 'loud' }), /LOCAL_LOG_LEVEL must be debug or info, got loud/);
  });

  it('says which Node the functions run on, and warns when it is not the major version they deploy to', () => {
    const fn = (name, node, deployed = 'nodejs22.x') => ({ name, runtime: { node, deployed } });
    assert.deepEqual(runtimeLines([fn('a', 'v22.23.2'), fn('b', 'v22.23.2')]), ['  Runtime          functions run on node v22.23.2; they deploy to nodejs22.x']);
    assert.deepEqual(runtimeLines([fn('a', 'v20.20.2'), fn('b', 'v20.20.2')]), [
      '  Runtime          WARNING: node v20.20.2, but they deploy to nodejs22.x: a, b. Start through npm (npm start), which runs the Node of .nvmrc',
    ]);
    assert.match(runtimeLines([fn('a', undefined)])[0], /WARNING: node an unreported version, but they deploy to nodejs22\.x: a\./);
    assert.deepEqual(runtimeLines([]), []);
    assert.ok(report({}, { functions: [fn('a', 'v22.1.0')] }).includes('  Runtime          functions run on node v22.1.0; they deploy to nodejs22.x'));
  });
});
