#!/usr/bin/env node
// `npm test`: every project's lint, typecheck, test and e2e targets through Nx,
// then how long each task took, longest first.
//
// The emulator-backed jest suites (libs and services) share one DynamoDB Local
// and one SNS/SQS emulator started here: each suite creates uniquely named
// tables, topics and queues, so they cannot collide, and a JVM start per suite
// was seconds of CPU on a 2-core machine. Their jest globalSetup uses endpoints
// it finds in AWS_ENDPOINT_URL_* (tools/local-runtime/jest). Whole-stack tests
// start stacks of their own on free ports, never these.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { useLocalCredentials } from '@platform/local-runtime/aws';
import { startTestEmulators } from '@platform/local-runtime/emulators/test-emulators';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TARGETS = ['lint', 'lint-workflows', 'typecheck', 'test', 'e2e'];
const PROFILE = path.join(ROOT, '.nx/test-times.json');

const main = async () => {
  useLocalCredentials();
  const emulators = await startTestEmulators();
  rmSync(PROFILE, { force: true });
  const nx = spawn(path.join(ROOT, 'node_modules/.bin/nx'), ['run-many', '-t', ...TARGETS, '--parallel=3', '--outputStyle=stream', ...process.argv.slice(2)], {
    cwd: ROOT,
    stdio: 'inherit',
    env: {
      ...process.env,
      NX_PROFILE: path.relative(ROOT, PROFILE),
      // Node 22 keeps the code it compiled for each module on disk: the hundreds of
      // node processes of a run (Nx, eslint, jest, serverless, the stacks) load the
      // same modules, and each after the first skips compiling them.
      NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE || path.join(ROOT, 'node_modules/.cache/node-compile-cache'),
      ...emulators.env,
    },
  });
  // Ctrl-C reaches Nx through the terminal; the emulators stop when it has.
  process.on('SIGINT', () => {});
  const code = await new Promise((resolve) => nx.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0))));
  await emulators.stop();
  const times = spawn(process.execPath, [path.join(ROOT, 'tools/ci/task-times.mjs'), PROFILE], { stdio: 'inherit' });
  await new Promise((resolve) => times.on('exit', resolve));
  process.exit(code);
};

main().catch((error) => {
  console.error(`npm test could not run: ${error.message}`);
  process.exit(1);
});
