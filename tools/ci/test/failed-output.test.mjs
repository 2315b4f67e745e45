import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { LineRecorder, failedTasks, failureReport, projectTail } from '../failed-output.mjs';

describe('the failure report at the end of npm test', () => {
  it('reads the failed tasks from Nx profiles, and skips a profile that was never written', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'failed-output-'));
    try {
      const profile = path.join(dir, 'times.json');
      writeFileSync(
        profile,
        JSON.stringify([
          { name: 'items-api:test', ph: 'X', dur: 1, args: { status: 'success' } },
          { name: 'system-tests:e2e', ph: 'X', dur: 2, args: { status: 'failure' } },
          { name: 'system-tests:e2e', ph: 'B' },
        ]),
      );
      assert.deepEqual(failedTasks([profile, path.join(dir, 'absent.json')]), ['system-tests:e2e']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps one project\'s last lines out of interleaved, coloured stream output', () => {
    const lines = ['\x1b[1m\x1b[96msystem-tests:\x1b[39m\x1b[22m not ok 3 - images', 'items-api: PASS', 'system-tests: # fail 1', 'system-tests-extra: other'];
    assert.deepEqual(projectTail(lines, 'system-tests', 10), ['not ok 3 - images', '# fail 1']);
    assert.deepEqual(projectTail(lines, 'system-tests', 1), ['# fail 1']);
  });

  it('puts lines split across chunks back together', () => {
    const recorder = new LineRecorder();
    recorder.push('system-tests: a');
    recorder.push('b\nsystem-tests: c\nsys');
    recorder.push('tem-tests: d');
    recorder.end();
    assert.deepEqual(recorder.lines, ['system-tests: ab', 'system-tests: c', 'system-tests: d']);
    assert.match(failureReport(['system-tests:e2e'], recorder.lines, 2), /system-tests:e2e failed; the last 2 lines it printed ━━\nc\nd$/);
    assert.equal(failureReport([], recorder.lines, 2), '');
  });
});
