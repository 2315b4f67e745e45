// The cold burst: N requests fired at once at a process nothing has warmed
// yet. It proves a correctness property (every answer a 2xx JSON body within
// the client's patience), so it runs at full size even in smoke mode.
import { createAgent, request } from './http-client.mjs';
import { percentile } from './stats.mjs';

/**
 * @param {{ baseUrl: string, count: number, timeoutMs: number, method: string, path: string, body?: () => unknown, headers?: Record<string, string> }} options
 */
export const coldBurst = async ({ baseUrl, count, timeoutMs, method, path, body, headers }) => {
  // One socket per request: a burst is N clients, not one client's queue.
  const agent = createAgent();
  const started = Date.now();
  const answers = await Promise.all(Array.from({ length: count }, () => request({ baseUrl, method, path, body: body?.(), headers, timeoutMs, agent })));
  agent.destroy();
  /** @type {Record<string, number>} */
  const statuses = {};
  for (const a of answers) {
    const key = a.timedOut ? 'timeout' : a.status === 0 ? `socket ${a.error}` : String(a.status);
    statuses[key] = (statuses[key] ?? 0) + 1;
  }
  const answered = answers.filter((a) => !a.timedOut);
  // A socket failure is an answer that is not a 2xx; a timeout is counted on its own.
  const non2xx = answered.filter((a) => a.status < 200 || a.status >= 300).length;
  const nonJson = answered.filter((a) => a.status > 0 && !a.isJson).length;
  const bad = answers.find((a) => a.timedOut || a.status < 200 || a.status >= 300 || !a.isJson);
  const latencies = answered.map((a) => a.ms);
  return {
    count,
    wallMs: Date.now() - started,
    ok: answers.filter((a) => !a.timedOut && a.status >= 200 && a.status < 300 && a.isJson).length,
    non2xx,
    nonJson,
    timeouts: answers.length - answered.length,
    socketErrors: answered.filter((a) => a.status === 0).length,
    statuses,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    maxMs: Math.max(0, ...latencies),
    badSample: bad && `${bad.timedOut ? 'timeout' : bad.status} ${(bad.error ?? bad.text).slice(0, 160).replace(/\s+/g, ' ')}`,
    answers,
  };
};
