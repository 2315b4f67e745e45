// moto's server with the fixes of ../moto_server.py, on a free loopback port:
// started, waited for, read (the resource types its CloudFormation skipped)
// and stopped.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const MOTO_VERSION = '5.2.1';
export const MOTO_INSTALL = `pip install 'moto[server]==${MOTO_VERSION}'`;
const WRAPPER = fileURLToPath(new URL('../moto_server.py', import.meta.url));
const SKIPPED_LINE = /^rehearse:skipped (\S+)$/gm;

/** The Python that runs moto: REHEARSE_PYTHON, else python3. */
export const python = () => process.env.REHEARSE_PYTHON || 'python3';

/**
 * moto's version, or null when the Python or its moto server is missing.
 * @returns {string | null}
 */
export const motoVersion = () => {
  const result = spawnSync(python(), ['-c', 'import moto, moto.server, flask; print(moto.__version__)'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : null;
};

/** @returns {Promise<number>} a port free on 127.0.0.1 right now */
const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });

/**
 * @param {string} url
 * @param {number} timeoutMs
 */
const waitFor = async (url, timeoutMs) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`moto did not answer on ${url} within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

/**
 * Starts the patched moto server; its output goes to `logFile`.
 * @param {{ logFile: string, timeoutMs?: number }} options
 */
export const startMoto = async ({ logFile, timeoutMs = 30_000 }) => {
  const port = await freePort();
  const log = openSync(logFile, 'a');
  const child = spawn(python(), [WRAPPER, '--host', '127.0.0.1', '--port', String(port)], { stdio: ['ignore', log, log] });
  closeSync(log);
  /** @type {number | null} */
  let exitCode = null;
  child.on('exit', (code) => (exitCode = code ?? -1));
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await Promise.race([
      waitFor(`${endpoint}/moto-api/`, timeoutMs),
      new Promise((_, reject) => child.on('exit', (code) => reject(new Error(`moto exited (${code}): see ${logFile}`)))),
    ]);
  } catch (error) {
    child.kill();
    throw error;
  }
  /** How far the log was read by skippedSince(). */
  let mark = 0;
  return {
    endpoint,
    port,
    /** @returns {boolean} */
    running: () => exitCode === null,
    /** Where the log is now: pass it to skippedSince(). */
    mark: () => (mark = readFileSync(logFile).length),
    /**
     * The resource types moto's CloudFormation skipped since `from` (a mark()).
     * @param {number} [from]
     * @returns {Set<string>}
     */
    skippedSince: (from = mark) => new Set([...readFileSync(logFile).subarray(from).toString('utf8').matchAll(SKIPPED_LINE)].map(([, type]) => String(type))),
    /** @returns {Promise<void>} */
    stop: () =>
      new Promise((resolve) => {
        if (exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
};

/** @typedef {Awaited<ReturnType<typeof startMoto>>} Moto */
