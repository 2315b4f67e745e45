// The worker side of worker-meter.cjs: runs first in each of serverless-offline's
// worker threads, then loads serverless-offline's own helper. Each invocation
// (one message with a port to answer on) is timed from its arrival to its
// answer: wall time, this thread's CPU time, and what the thread wrote.
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';

const METER_KEY = '__localRuntimeMeter';
const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);

/** @typedef {{ logBytes: number, logLines: number, emfLines: number, emfMetrics: number }} Output */
/** The output of the invocation running now (none between invocations). @type {Output | undefined} */
let current;

/** Metrics in one EMF line: the names each of its directives declares. @param {string} line */
export const emfMetricsOf = (line) => {
  if (!line.includes('"_aws"')) return 0;
  try {
    const directives = JSON.parse(line)?._aws?.CloudWatchMetrics;
    return Array.isArray(directives) ? directives.reduce((sum, d) => sum + (Array.isArray(d?.Metrics) ? d.Metrics.length : 0), 0) : 0;
  } catch {
    return 0;
  }
};

/** @param {unknown} chunk */
const count = (chunk) => {
  if (!current) return;
  const text = typeof chunk === 'string' ? chunk : Buffer.from(/** @type {Uint8Array} */ (chunk)).toString('utf8');
  current.logBytes += Buffer.byteLength(text);
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    current.logLines += 1;
    const metrics = emfMetricsOf(line);
    if (metrics > 0) {
      current.emfLines += 1;
      current.emfMetrics += metrics;
    }
  }
};

for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream);
  stream.write = /** @type {typeof stream.write} */ ((/** @type {any} */ chunk, /** @type {any[]} */ ...rest) => {
    try {
      count(chunk);
    } catch {
      // the meter never breaks a write
    }
    return write(chunk, ...rest);
  });
}

let invocations = 0;
const on = port.on.bind(port);
port.on = /** @type {any} */ (
  (/** @type {string} */ event, /** @type {(value: any) => void} */ listener) => {
    if (event !== 'message') return on(event, listener);
    return on('message', (/** @type {any} */ data) => {
      const answerPort = data?.port;
      if (!answerPort) return listener(data);
      const cold = invocations === 0;
      invocations += 1;
      /** @type {Output} */
      const output = { logBytes: 0, logLines: 0, emfLines: 0, emfMetrics: 0 };
      current = output;
      const cpuBefore = process.threadCpuUsage();
      const startedAt = performance.now();
      const answer = answerPort.postMessage.bind(answerPort);
      let done = false;
      answerPort.postMessage = (/** @type {any} */ value, /** @type {any[]} */ ...rest) => {
        if (!done) {
          done = true;
          const durationMs = performance.now() - startedAt;
          const cpu = process.threadCpuUsage(cpuBefore);
          if (current === output) current = undefined;
          // The heap this thread's isolate holds (committed), as the invocation ends: what the function's memory holds beside the runtime.
          const heapMb = getHeapStatistics().total_heap_size / 1024 ** 2;
          port.postMessage({ [METER_KEY]: { cold, durationMs, cpuMs: (cpu.user + cpu.system) / 1000, heapMb, ...output, failed: value instanceof Error } });
        }
        return answer(value, ...rest);
      };
      return listener(data);
    });
  }
);

await import(workerData[METER_KEY]);
