// SNS and SQS from fauxqs, a pure-JS emulator run inside this process. Its
// queue URLs carry the host sqs.<region>.localhost, which does not resolve:
// every SDK client gets an explicit endpoint instead of following the URL.
//
// startFauxqs listens on 0.0.0.0 whatever its `host` option says (that option
// only names the host in queue URLs), which would open every topic and queue
// to the network. It exposes no other way in, so while it starts, a listen it
// asks for on every interface is turned into one on 127.0.0.1; the address it
// then reports is checked, and the emulator stopped if that is not loopback.
import net from 'node:net';

const LOOPBACK = '127.0.0.1';
const EVERY_INTERFACE = new Set(['0.0.0.0', '::', '']);

/**
 * Runs `start` with every net.Server listen on all interfaces (fastify passes
 * `{ port, host }`) made a listen on 127.0.0.1 instead; restored once it settles.
 * Other servers this process starts meanwhile already name 127.0.0.1.
 * @template T @param {() => Promise<T>} start @returns {Promise<T>}
 */
const onLoopback = async (start) => {
  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = /** @type {typeof listen} */ (
    function (/** @type {any[]} */ ...args) {
      const [options] = args;
      if (options && typeof options === 'object' && typeof options.host === 'string' && EVERY_INTERFACE.has(options.host)) {
        args[0] = { ...options, host: LOOPBACK };
      }
      return listen.apply(this, /** @type {any} */ (args));
    }
  );
  try {
    return await start();
  } finally {
    net.Server.prototype.listen = listen;
  }
};

/**
 * fauxqs 2 keeps its state in node:sqlite, which Node 22 still calls
 * experimental: loading it prints an ExperimentalWarning in every process that
 * starts the emulator. That one warning is dropped; every other still prints.
 * @returns {Promise<typeof import('fauxqs')>}
 */
const loadFauxqs = async () => {
  const emitWarning = process.emitWarning;
  process.emitWarning = /** @type {typeof process.emitWarning} */ (
    (warning, ...rest) => {
      const [options] = rest;
      const type = typeof options === 'string' ? options : typeof options === 'object' ? options.type : undefined;
      if (type === 'ExperimentalWarning' && /^SQLite\b/.test(String(warning))) return;
      emitWarning.call(process, warning, .../** @type {[any]} */ (rest));
    }
  );
  try {
    return await import('fauxqs');
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'ERR_UNKNOWN_BUILTIN_MODULE') throw error;
    throw new Error(`the SNS/SQS emulator needs the repo's Node (.nvmrc), not node ${process.version}: run it through npm (npm start, npm test, npm run …), which puts that Node first on PATH`);
  } finally {
    process.emitWarning = emitWarning;
  }
};

/**
 * @param {number} port
 * @param {{ dataDir?: string }} [options]  dataDir: keep the topics, queues, subscriptions and messages there (SQLite) across restarts
 */
export const startSnsSqs = async (port, { dataDir } = {}) => {
  const { startFauxqs } = await loadFauxqs();
  const server = await onLoopback(() => startFauxqs({ port, host: 'localhost', logger: false, ...(dataDir && { dataDir }) }));
  const { hostname } = new URL(server.address);
  if (hostname !== LOOPBACK) {
    await server.stop();
    throw new Error(`fauxqs listened on ${hostname}, not ${LOOPBACK}: it would be open to the network, so it was stopped (has fauxqs changed how it listens?)`);
  }
  return { endpoint: `http://127.0.0.1:${server.port}`, port: server.port, server, stop: () => server.stop() };
};
