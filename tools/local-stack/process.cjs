// Starts the whole system exactly as `npm start` does, on free ports so it can
// run beside a developer's own stack: for the e2e tests and the bench.
// CommonJS for the same reason as local-aws.cjs: both load this one copy.
'use strict';

const { spawn } = require('node:child_process');
const { existsSync, readdirSync, readFileSync } = require('node:fs');
const path = require('node:path');
const { reservePorts } = require('@platform/local-runtime/aws');

const ROOT = path.resolve(__dirname, '../..');
const READY = /Local stack ready/;

/**
 * Keeps a child's output lines with the time each arrived (ms after the call),
 * so a start can be split into its phases afterwards.
 * @param {import('node:child_process').ChildProcess} child
 * @returns {{ atMs: number, line: string }[]}
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
 * Resolves with the time of the first line matching `ready`; rejects when the
 * child exits first or the deadline passes.
 * @param {import('node:child_process').ChildProcess} child
 * @param {{ atMs: number, line: string }[]} lines
 * @param {RegExp} ready @param {number} timeoutMs @param {string} name
 * @returns {Promise<number>}
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
 * Stops a child and waits for it; SIGKILL if it outlives `graceMs`. With
 * `group`, the signal goes to the child's process group (a detached child).
 * @param {import('node:child_process').ChildProcess} child
 * @param {{ group?: boolean, graceMs?: number }} [options]
 */
const stopChild = async (child, { group = false, graceMs = 15_000 } = {}) => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  /** @param {NodeJS.Signals} signal */
  const signal = (signal) => {
    try {
      if (group && child.pid) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  // The grace timer is cleared once the child exits: it must not keep the caller's process alive for graceMs.
  let timer;
  const grace = new Promise((resolve) => {
    timer = setTimeout(() => resolve(true), graceMs);
  });
  const timedOut = await Promise.race([exited.then(() => false), grace]);
  clearTimeout(timer);
  if (timedOut) {
    signal('SIGKILL');
    await exited;
  }
};

/** The same rule as discoverServices() in tools/local-runtime/stack/services.mjs: a services/* folder with a serverless.yml. */
const serviceCount = () => readdirSync(path.join(ROOT, 'services')).filter((name) => existsSync(path.join(ROOT, 'services', name, 'serverless.yml'))).length;

/**
 * Starts `node tools/local-stack/start.mjs` on free ports and resolves once it
 * prints its ready line, with the time that took.
 * `env` adds to its environment; as a function it is given the emulators'
 * ports first (e.g. to put a proxy in front of them).
 * @param {{ timeoutMs?: number, env?: Record<string, string> | ((ports: { dynamodb: number, snsSqs: number }) => Promise<Record<string, string>> | Record<string, string>) }} [options]
 */
const startLocalStack = async ({ timeoutMs = 240_000, env: extraEnv = {} } = {}) => {
  const shared = sharedStack(extraEnv);
  if (shared) return shared;
  // Every service takes two consecutive internal ports (see tools/local-stack/start.mjs).
  const { ports, runBase } = await reservePorts(4, 2 * serviceCount());
  const [http, dynamodb, snsSqs, s3] = /** @type {[number, number, number, number]} */ (ports);
  const env = typeof extraEnv === 'function' ? await extraEnv({ dynamodb, snsSqs }) : extraEnv;
  const child = spawn(process.execPath, [path.join(ROOT, 'tools/local-stack/start.mjs')], {
    cwd: ROOT,
    env: {
      ...process.env,
      HTTP_PORT: String(http),
      DYNAMODB_PORT: String(dynamodb),
      SNS_SQS_PORT: String(snsSqs),
      S3_PORT: String(s3),
      LAMBDA_PORT_BASE: String(runBase),
      // Its own emulators, never ones a test run left in the environment.
      AWS_ENDPOINT_URL_DYNAMODB: '',
      // Its own data, in memory: never the developer's kept data (.local-data/), which their own stack may be using.
      LOCAL_PERSIST: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = recordLines(child);
  const stop = () => stopChild(child);
  // However the caller ends, even before the stack is ready, the stack stops with it.
  const stopOnExit = () => child.kill('SIGTERM');
  process.once('exit', stopOnExit);
  child.once('exit', () => process.off('exit', stopOnExit));
  try {
    const readyMs = await waitForLine(child, lines, READY, timeoutMs, 'The local stack');
    return {
      shared: false,
      apiUrl: `http://127.0.0.1:${http}`,
      consoleUrl: consoleUrlIn(lines),
      dynamodbEndpoint: `http://127.0.0.1:${dynamodb}`,
      snsSqsEndpoint: `http://127.0.0.1:${snsSqs}`,
      /** The local S3 front (S3_PORT): presigned URLs the API hands out point here. */
      s3Endpoint: `http://127.0.0.1:${s3}`,
      readyMs,
      /** The start.mjs process: every process of the stack runs below it. */
      pid: /** @type {number} */ (child.pid),
      lines,
      /** Everything the stack printed so far, every service's log lines included. */
      output: () => lines.map((l) => l.line).join('\n'),
      /** How it ended, if it has. */
      exit: () => (child.exitCode === null && child.signalCode === null ? undefined : { code: child.exitCode, signal: child.signalCode }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
};

/** The console's address, from the stack's ready report ("Console  http://…"), if it runs one. @param {{ line: string }[]} lines */
const consoleUrlIn = (lines) => lines.map(({ line }) => /^\s*Console\s+(http:\/\/\S+)/.exec(line)?.[1]).find(Boolean);

/**
 * The variable through which tools/local-stack/with-stack.mjs hands one running
 * stack to every test it runs: JSON of { apiUrl, dynamodbEndpoint, snsSqsEndpoint, s3Endpoint,
 * consoleUrl, pid, readyMs, logFile, env }.
 */
const SHARED_STACK_VARIABLE = 'LOCAL_STACK_SHARED';

/**
 * The shared stack, when one is running for this test run and the caller asks
 * for nothing it was not started with: the same `env` settings (a CONSOLE_PORT
 * is satisfied by the shared stack's console, wherever it listens), and no
 * function of the emulators' ports (a fault proxy needs a stack of its own).
 * Its output is read from the log file the runner keeps; stopping it is the
 * runner's job, so stop() does nothing.
 * @param {Record<string, string> | Function} env
 */
const sharedStack = (env) => {
  const raw = process.env[SHARED_STACK_VARIABLE];
  if (!raw || typeof env === 'function') return undefined;
  /** @type {{ apiUrl: string, dynamodbEndpoint: string, snsSqsEndpoint: string, s3Endpoint?: string, consoleUrl?: string, pid: number, readyMs: number, logFile: string, env: Record<string, string> }} */
  const stack = JSON.parse(raw);
  if (!Object.entries(env).every(([name, value]) => name === 'CONSOLE_PORT' || stack.env[name] === value)) return undefined;
  const read = () => (existsSync(stack.logFile) ? readFileSync(stack.logFile, 'utf8') : '');
  return {
    shared: true,
    apiUrl: stack.apiUrl,
    consoleUrl: stack.consoleUrl,
    dynamodbEndpoint: stack.dynamodbEndpoint,
    snsSqsEndpoint: stack.snsSqsEndpoint,
    s3Endpoint: stack.s3Endpoint,
    readyMs: stack.readyMs,
    pid: stack.pid,
    get lines() {
      return read().split('\n').map((line) => ({ atMs: 0, line }));
    },
    output: read,
    exit: () => undefined,
    stop: async () => {},
  };
};

module.exports = { startLocalStack, recordLines, waitForLine, stopChild, SHARED_STACK_VARIABLE };
