#!/usr/bin/env node
// `npm test`: every project's lint, typecheck, test and e2e targets through Nx,
// then how long each task took, longest first, and last the tail of what each
// failed task printed (failed-output.mjs).
//
// Two Nx runs side by side: the whole-stack e2e chain (system-tests:e2e, the
// longest task by far, mostly waiting on stacks), and every other task two at
// a time; beside them, every project's typecheck in one go (typecheck-all.mjs,
// the same tsconfigs as the projects' typecheck targets, which CI's
// `nx affected` runs). One run of three would start the e2e chain last: Nx schedules a task
// with no dependents by how many projects depend on its project, and nothing
// depends on system-tests.
//
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { useLocalCredentials } from '@platform/local-runtime/aws';
import { startTestEmulators } from '@platform/local-runtime/emulators/test-emulators';
import { LineRecorder, failedTasks, failureReport } from './failed-output.mjs';
import { profiledTasks, taskTimesTable } from './task-times.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHECKS = ['lint', 'lint-workflows', 'test'];
// Every project's typecheck target, in as few TypeScript programs as their options allow (typecheck-all.mjs).
const TYPECHECK = path.join(ROOT, 'tools/ci/typecheck-all.mjs');
const E2E = ['e2e'];
const PROFILES = { checks: path.join(ROOT, '.nx/test-times.json'), e2e: path.join(ROOT, '.nx/test-times-e2e.json') };
// How much of a failed task's output is printed again at the end.
const FAILED_TAIL_LINES = 120;
/** @type {LineRecorder[]} one per Nx run and stream, so that lines of concurrent writers never mix */
const recorders = [];

/** @param {string[]} targets @param {number} parallel @param {string} profile @param {Record<string, string>} env @returns {Promise<number>} */
const nxRun = (targets, parallel, profile, env) => {
  rmSync(profile, { force: true });
  const nx = spawn(path.join(ROOT, 'node_modules/.bin/nx'), ['run-many', '-t', ...targets, `--parallel=${parallel}`, '--outputStyle=stream', ...process.argv.slice(2)], {
    cwd: ROOT,
    // Piped to keep a copy for the failure report; colours stay as a terminal would get them.
    stdio: ['inherit', 'pipe', 'pipe'],
    env: { ...process.env, NX_PROFILE: path.relative(ROOT, profile), ...(process.stdout.isTTY ? { FORCE_COLOR: '1' } : {}), ...env },
  });
  for (const [from, to] of /** @type {const} */ ([[nx.stdout, process.stdout], [nx.stderr, process.stderr]])) {
    const recorder = new LineRecorder();
    recorders.push(recorder);
    from.on('data', (chunk) => {
      to.write(chunk);
      recorder.push(chunk);
    });
    from.on('end', () => recorder.end());
  }
  return new Promise((resolve) => nx.on('close', (status, signal) => resolve(status ?? (signal ? 1 : 0))));
};

const main = async () => {
  useLocalCredentials();
  const emulators = await startTestEmulators();
  const env = {
    // Node 22 keeps the code it compiled for each module on disk: the hundreds of
    // node processes of a run (Nx, eslint, jest, serverless, the stacks) load the
    // same modules, and each after the first skips compiling them.
    NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE || path.join(ROOT, 'node_modules/.cache/node-compile-cache'),
    ...emulators.env,
  };
  // Ctrl-C reaches Nx through the terminal; the emulators stop when it has.
  process.on('SIGINT', () => {});
  const typecheck = spawn(process.execPath, [TYPECHECK], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } });
  const typechecked = new Promise((resolve) => typecheck.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0))));
  const codes = await Promise.all([nxRun(E2E, 1, PROFILES.e2e, env), nxRun(CHECKS, 2, PROFILES.checks, env), typechecked]);
  await emulators.stop();
  const profiles = Object.values(PROFILES);
  console.log(taskTimesTable(profiledTasks(profiles)));
  const failed = failedTasks(profiles);
  if (failed.length > 0) console.log(failureReport(failed, recorders.flatMap((recorder) => recorder.lines), FAILED_TAIL_LINES));
  process.exit(codes.find((code) => code !== 0) ?? 0);
};

main().catch((error) => {
  console.error(`npm test could not run: ${error.message}`);
  process.exit(1);
});
