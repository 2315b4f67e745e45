// The processes the bench measures: the local stack exactly as `npm start`
// runs it, and the bare serverless-offline function that is its HTTP ceiling.
// Both go on free ports, so the bench runs beside a developer's own stack.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { localAwsEnv, reservePorts } from '../../../libs/testing/src/local-aws.cjs';
import { discoverServices } from '../../local/lib/services.mjs';
import { sleep } from './stats.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const READY = /Local stack ready/;
const BARE_READY = /Server ready/;
export const BARE_FUNCTION_DIR = path.join(ROOT, 'tools/bench/fixtures/bare-function');

const serviceCount = () => discoverServices().length;

/**
 * A child whose output is kept with the time each line arrived, so the time to
 * ready can be split into its phases afterwards.
 * @param {import('node:child_process').ChildProcess} child
 */
const recordLines = (child) => {
  /** @type {{ atMs: number, line: string }[]} */
  const lines = [];
  const started = Date.now();
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk) => {
      buffered += chunk;
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const line of parts) lines.push({ atMs: Date.now() - started, line });
    });
  }
  return lines;
};

/**
 * Resolves once a line matches `ready`; rejects when the child exits first or the deadline passes.
 * @param {import('node:child_process').ChildProcess} child
 * @param {{ atMs: number, line: string }[]} lines
 * @param {RegExp} ready @param {number} timeoutMs @param {string} name
 */
const waitForLine = (child, lines, ready, timeoutMs, name) =>
  new Promise((resolve, reject) => {
    const tail = () => lines.slice(-40).map((l) => l.line).join('\n');
    const timer = setInterval(() => {
      const hit = lines.find((l) => ready.test(l.line));
      if (hit) {
        cleanup();
        resolve(hit.atMs);
      }
    }, 20);
    const deadline = setTimeout(() => {
      cleanup();
      reject(new Error(`${name} was not ready within ${timeoutMs / 1000} s:\n${tail()}`));
    }, timeoutMs);
    /** @param {number | null} code */
    const onExit = (code) => {
      cleanup();
      reject(new Error(`${name} exited (${code}) before it was ready:\n${tail()}`));
    };
    const cleanup = () => {
      clearInterval(timer);
      clearTimeout(deadline);
      child.off('exit', onExit);
    };
    child.once('exit', onExit);
  });

/**
 * Stops a child and waits for it; SIGKILL if it outlives `graceMs`.
 * @param {import('node:child_process').ChildProcess} child @param {{ group?: boolean, graceMs?: number }} [options]
 */
const stopChild = async (child, { group = false, graceMs = 15_000 } = {}) => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  /** @param {NodeJS.Signals} signal */
  const signal = (signal) => {
    try {
      // The bare function runs in its own process group (it is ours alone), so
      // the group signal reaches whatever serverless-offline started.
      if (group && child.pid) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const timedOut = await Promise.race([exited.then(() => false), sleep(graceMs).then(() => true)]);
  if (timedOut) {
    signal('SIGKILL');
    await exited;
  }
};

/**
 * Starts the local stack as `npm start` does (node tools/local/start.mjs), on
 * free ports, and times the spawn-to-ready-line interval.
 * @param {{ timeoutMs?: number, env?: Record<string, string> }} [options]
 */
export const startStack = async ({ timeoutMs = 240_000, env = {} } = {}) => {
  const { ports: [http, dynamodb, snsSqs], runBase } = await reservePorts(3, 2 * serviceCount());
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, [path.join(ROOT, 'tools/local/start.mjs')], {
    cwd: ROOT,
    env: {
      ...process.env,
      HTTP_PORT: String(http),
      DYNAMODB_PORT: String(dynamodb),
      SNS_SQS_PORT: String(snsSqs),
      LAMBDA_PORT_BASE: String(runBase),
      // Its own emulators, never ones a test run left in the environment.
      AWS_ENDPOINT_URL_DYNAMODB: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = recordLines(child);
  const stop = () => stopChild(child);
  // However the bench ends, even before the stack is ready, the stack stops with it.
  const stopOnExit = () => child.kill('SIGTERM');
  process.once('exit', stopOnExit);
  child.once('exit', () => process.off('exit', stopOnExit));
  try {
    const readyMs = await waitForLine(child, lines, READY, timeoutMs, 'The local stack');
    return {
      apiUrl: `http://127.0.0.1:${http}`,
      dynamodbEndpoint: `http://127.0.0.1:${dynamodb}`,
      snsSqsEndpoint: `http://127.0.0.1:${snsSqs}`,
      readyMs: /** @type {number} */ (readyMs),
      spawnedAt,
      /** The start.mjs process: every process of the stack runs below it (see cpu.mjs). */
      pid: /** @type {number} */ (child.pid),
      lines,
      alive: () => child.exitCode === null && child.signalCode === null,
      /** How it ended, if it has: the bench reports a stack that died under load. */
      exit: () => (child.exitCode === null && child.signalCode === null ? undefined : { code: child.exitCode, signal: child.signalCode }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
};

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
