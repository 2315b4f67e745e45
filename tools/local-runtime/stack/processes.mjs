// Child processes of the local stack: started in their own process group so
// that stopping one also stops whatever it spawned (esbuild, java, workers).
import { spawn } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * @typedef {() => (line: string) => boolean} DebugLines  makes, for each output stream, what tells a debug line (true) from the rest
 * @typedef {{ cwd?: string, env?: Record<string, string>, quiet?: boolean, timeoutMs?: number, debugLines?: DebugLines, showDebug?: boolean, claim?: (line: string) => boolean }} ChildOptions
 *   debugLines: which of its lines are debug detail, printed only with showDebug (always kept for recentOutput);
 *   claim: takes a line meant for the stack itself (true: taken, neither printed nor kept)
 * @typedef {import('node:child_process').ChildProcess & { recentOutput?: () => string }} TrackedChild
 */

/** @type {Set<TrackedChild>} */
const children = new Set();

/**
 * Spawns a long-running child in its own process group and tracks it.
 * @param {string} name @param {string} command @param {string[]} args @param {ChildOptions} [options]
 */
export const startChild = (name, command, args, { cwd, env, quiet = false, debugLines, showDebug = false, claim } = {}) =>
  track(name, spawn(command, args, { cwd, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] }), { quiet, debugLines, showDebug, claim });

/**
 * Tracks a child spawned elsewhere (detached, with piped output) so stopAll
 * stops it, and prefixes each of its output lines with its name.
 * @param {string} name @param {import('node:child_process').ChildProcess} spawned @param {{ quiet?: boolean, debugLines?: DebugLines, showDebug?: boolean, claim?: (line: string) => boolean }} [options]
 * @returns {TrackedChild}
 */
export const track = (name, spawned, { quiet = false, debugLines, showDebug = false, claim } = {}) => {
  /** @type {TrackedChild} */
  const child = spawned;
  children.add(child);
  child.on('exit', () => children.delete(child));
  /** @type {string[]} */
  const lines = [];
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    const isDebug = debugLines?.();
    stream?.setEncoding('utf8');
    stream?.on('data', (/** @type {string} */ chunk) => {
      buffered += chunk;
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const line of parts) {
        if (claim?.(line)) continue;
        lines.push(line);
        if (lines.length > 200) lines.shift();
        if (quiet) continue;
        if (!isDebug?.(line)) process.stdout.write(`[${name}] ${line}\n`);
        else if (showDebug) process.stdout.write(`[${name}] (debug) ${line}\n`);
      }
    });
  }
  child.recentOutput = () => lines.join('\n');
  return child;
};

/**
 * Runs a command to completion; rejects with its output when it fails or outlives `timeoutMs`.
 * @param {string} command @param {string[]} args @param {ChildOptions} [options]
 * @returns {Promise<string>}
 */
export const run = (command, args, { cwd, env, timeoutMs = 300_000 } = {}) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')} failed (exit ${code}):\n${output}`)),
    );
  });

/** @param {number} port @returns {Promise<boolean>} */
const portAnswers = (port) =>
  new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => socket.end(() => resolve(true)));
    socket.once('error', () => resolve(false));
  });

export { freePort } from '../aws.cjs';

/** Whether a process with this id is running (EPERM: it is, as another user's). @param {number} pid */
export const isRunning = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM';
  }
};

/** Fails fast if something else already listens on a port we are about to take. @param {number} port @param {string} variable */
export const assertPortFree = async (port, variable) => {
  if (await portAnswers(port)) {
    throw new Error(`Port ${port} is already in use. Stop what listens there or set ${variable} to another port.`);
  }
};

/**
 * Waits until `port` accepts connections, or the child dies, or the deadline passes.
 * @param {number} port @param {TrackedChild} child @param {string} name @param {number} [timeoutMs]
 */
export const waitForPort = async (port, child, name, timeoutMs = 120_000) => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited before it listened on port ${port}:\n${child.recentOutput?.() ?? ''}`);
    }
    if (await portAnswers(port)) return;
    await sleep(200);
  }
  throw new Error(`${name} did not listen on port ${port} within ${timeoutMs / 1000}s:\n${child.recentOutput?.() ?? ''}`);
};

/** Stops every child process group: SIGTERM, then SIGKILL for what is still there after a grace period. */
export const stopAll = async (graceMs = 5_000) => {
  const alive = [...children].filter((child) => child.exitCode === null && child.signalCode === null);
  /** @param {TrackedChild} child @param {NodeJS.Signals} signal */
  const signalGroup = (child, signal) => {
    try {
      process.kill(-(/** @type {number} */ (child.pid)), signal);
    } catch {
      // already gone
    }
  };
  alive.forEach((child) => signalGroup(child, 'SIGTERM'));
  const exited = Promise.all(alive.map((child) => new Promise((resolve) => child.once('exit', resolve))));
  const timedOut = await Promise.race([exited.then(() => false), sleep(graceMs).then(() => true)]);
  if (timedOut) alive.forEach((child) => signalGroup(child, 'SIGKILL'));
};
