// SNS and SQS from fauxqs, a pure-JS emulator run inside this process. Its
// queue URLs carry the host sqs.<region>.localhost, which does not resolve:
// every SDK client gets an explicit endpoint instead of following the URL.

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
  const server = await startFauxqs({ port, host: 'localhost', logger: false, ...(dataDir && { dataDir }) });
  return { endpoint: `http://127.0.0.1:${server.port}`, port: server.port, server, stop: () => server.stop() };
};
