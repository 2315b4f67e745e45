// The processes the bench measures: the local stack exactly as `npm start`
// runs it, and the bare serverless-offline function that is its HTTP ceiling.
// Both go on free ports, so the bench runs beside a developer's own stack.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { localAwsEnv, reservePorts } from '@platform/local-runtime/aws';
import { recordLines, startLocalStack, stopChild, waitForLine } from '@platform/local-stack/process';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BARE_READY = /Server ready/;
export const BARE_FUNCTION_DIR = path.join(ROOT, 'tools/bench/fixtures/bare-function');

/** The local stack exactly as `npm start` runs it, with its output lines timed and its pid (see cpu.mjs). */
export const startStack = startLocalStack;

/**
 * The HTTP ceiling: one do-nothing function under serverless-offline, started
 * the way the stack starts each service.
 * @param {{ timeoutMs?: number }} [options]
 */
export const startBareFunction = async ({ timeoutMs = 120_000 } = {}) => {
  const { ports: [httpPort, lambdaPort] } = await reservePorts(2, 0);
  const child = spawn(path.join(ROOT, 'node_modules/.bin/serverless'), ['offline', 'start', '--httpPort', String(httpPort), '--lambdaPort', String(lambdaPort)], {
    cwd: BARE_FUNCTION_DIR,
    env: { ...process.env, ...localAwsEnv() },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const lines = recordLines(child);
  const stop = () => stopChild(child, { group: true });
  try {
    const readyMs = await waitForLine(child, lines, BARE_READY, timeoutMs, 'The bare serverless-offline function');
    return { url: `http://127.0.0.1:${httpPort}`, path: '/ok', readyMs: /** @type {number} */ (readyMs), stop };
  } catch (error) {
    await stop();
    throw error;
  }
};

/**
 * Splits the stack's time to ready at the lines that mark its milestones,
 * taken in the order they happened (start.mjs overlaps its phases). The
 * patterns are loose on purpose: a changed log line only drops a milestone
 * from the diagnosis, it never fails the bench.
 * @param {{ atMs: number, line: string }[]} lines @param {number} readyMs
 */
export const startupPhases = (lines, readyMs) => {
  const first = (/** @type {RegExp} */ pattern) => lines.find((l) => pattern.test(l.line))?.atMs;
  const last = (/** @type {RegExp} */ pattern) => lines.filter((l) => pattern.test(l.line)).at(-1)?.atMs;
  const milestones = [
    ['node loads start.mjs', first(/^Starting DynamoDB Local/)],
    ['first serverless-offline starts (its template compiled or reused)', first(/Starting Offline/)],
    ['every template and both emulators ready, provisioning starts', first(/^[\w-]+: (tables|topics|queue) /)],
    ['the last serverless-offline listens', last(/Server ready|Offline \[http for lambda\]/)],
    ['gateway and pollers up: ready', readyMs],
  ]
    .filter(([, at]) => typeof at === 'number')
    .sort((a, b) => /** @type {number} */ (a[1]) - /** @type {number} */ (b[1]));
  let previous = 0;
  return milestones.map(([name, at]) => {
    const phase = { phase: `until ${name}`, ms: /** @type {number} */ (at) - previous, atMs: /** @type {number} */ (at) };
    previous = /** @type {number} */ (at);
    return phase;
  });
};

/** Whether start.mjs compiled the templates or reused earlier ones (it says so in its ready report). @param {{ line: string }[]} lines */
export const templateReuse = (lines) => lines.find((l) => /Compiled templates reused|compiled afresh/i.test(l.line))?.line.trim();
