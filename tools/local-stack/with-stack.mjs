#!/usr/bin/env node
// Runs commands against one local stack started for all of them:
//   node tools/local-stack/with-stack.mjs [--env NAME=value]... -- <command> [args]... [-- <command> [args]...]...
// Starting a stack costs seconds of two cores; test suites whose data cannot
// collide (each makes its own items, orders and queues' messages) share one.
// Each command's startLocalStack() (process.cjs) gets this stack instead of a
// new one when it asks for no setting the stack was not started with; one that
// needs another (a fault proxy, other settings) still starts its own. The
// commands run one after the other, in the order given; the first that fails
// ends the run, and the stack stops in every case.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@platform/local-runtime/aws';
import { SHARED_STACK_VARIABLE, startLocalStack } from './process.cjs';

const usage = 'usage: with-stack.mjs [--env NAME=value]... -- <command> [args]... [-- <command> [args]...]...';

/** @param {string[]} argv @returns {{ env: Record<string, string>, commands: string[][] }} */
const parse = (argv) => {
  /** @type {Record<string, string>} */
  const env = {};
  let rest = argv;
  while (rest[0] === '--env') {
    const [name, ...value] = String(rest[1]).split('=');
    if (!name || value.length === 0) throw new Error(`--env needs NAME=value, got "${rest[1]}"\n${usage}`);
    env[name] = value.join('=');
    rest = rest.slice(2);
  }
  if (rest[0] !== '--') throw new Error(usage);
  /** @type {string[][]} */
  const commands = [];
  for (const arg of rest.slice(1)) {
    if (arg === '--' || commands.length === 0) commands.push([]);
    if (arg !== '--') /** @type {string[]} */ (commands.at(-1)).push(arg);
  }
  if (commands.length === 0 || commands.some((command) => command.length === 0)) throw new Error(usage);
  return { env, commands };
};

/** @param {string[]} command @param {NodeJS.ProcessEnv} env @returns {Promise<number>} */
const run = ([file, ...args], env) =>
  new Promise((resolve) => {
    const child = spawn(/** @type {string} */ (file), args, { stdio: 'inherit', env });
    child.on('error', (error) => {
      console.error(`${file}: ${error.message}`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });

const main = async () => {
  const { env, commands } = parse(process.argv.slice(2));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shared-stack-'));
  const logFile = path.join(dir, 'stack.log');
  writeFileSync(logFile, '');
  const stackEnv = { ...env, CONSOLE_PORT: String(await freePort()) };
  const started = Date.now();
  const stack = await startLocalStack({ env: stackEnv });
  console.log(`[with-stack] one local stack for ${commands.length} command(s), ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${stack.apiUrl}`);
  // The stack's output, line by line as it comes, for the commands to read (process.cjs sharedStack()).
  let written = 0;
  const flush = () => {
    const fresh = stack.lines.slice(written);
    written += fresh.length;
    if (fresh.length > 0) appendFileSync(logFile, fresh.map(({ line }) => `${line}\n`).join(''));
  };
  flush();
  const flusher = setInterval(flush, 100);
  const shared = {
    apiUrl: stack.apiUrl,
    dynamodbEndpoint: stack.dynamodbEndpoint,
    snsSqsEndpoint: stack.snsSqsEndpoint,
    s3Endpoint: stack.s3Endpoint,
    consoleUrl: stack.consoleUrl,
    pid: stack.pid,
    readyMs: stack.readyMs,
    logFile,
    env: stackEnv,
  };
  let code = 0;
  try {
    for (const command of commands) {
      code = await run(command, { ...process.env, [SHARED_STACK_VARIABLE]: JSON.stringify(shared) });
      const ended = stack.exit();
      if (ended) {
        console.error(`[with-stack] the shared stack ended (${ended.signal ?? `exit ${ended.code}`}) during ${command.join(' ')}:\n${stack.output().split('\n').slice(-30).join('\n')}`);
        code ||= 1;
      }
      if (code !== 0) break;
    }
  } finally {
    clearInterval(flusher);
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return code;
};

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`[with-stack] ${error.message}`);
    process.exit(1);
  },
);
