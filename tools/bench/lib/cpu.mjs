// Where the CPU goes while the stack is under load. Every process under the
// stack's start.mjs is read from /proc (utime + stime cover all its threads,
// so serverless-offline's worker threads count with their process), grouped
// by the part of the stack it is; the bench's own process (autocannon runs in
// it, and the pipeline's SQS capture) is read with process.cpuUsage(). On a
// machine with few cores a missed target then shows whether the CPU ran out,
// and which process spent it. Linux only: elsewhere the snapshots are empty.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const LABELS = {
  dynamodb: 'DynamoDB Local',
  stack: 'local stack process (gateway, SNS/SQS, pollers)',
  esbuild: 'esbuild',
  client: 'bench client (load generator)',
};

/** @type {number | undefined} */
let ticks;
/** Clock ticks per second, the unit of /proc/<pid>/stat's CPU times (normally 100). */
export const clockTicksPerSecond = () => {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    } catch {
      ticks = Number.NaN;
    }
    if (!Number.isFinite(ticks) || /** @type {number} */ (ticks) <= 0) ticks = 100;
  }
  return /** @type {number} */ (ticks);
};

/** @param {string} file */
const read = (file) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined; // the process exited, or is not ours to read
  }
};

/**
 * One /proc/<pid>/stat line. The command name sits in parentheses and may
 * itself contain spaces and parentheses, so the fields are counted from the last ')'.
 * @param {number} pid
 * @returns {{ pid: number, comm: string, ppid: number, utime: number, stime: number, starttime: number } | undefined}
 */
export const readStat = (pid) => {
  const text = read(`/proc/${pid}/stat`);
  if (!text) return undefined;
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  // After ')': field 3 (state) is rest[0], so field n is rest[n - 3].
  const rest = text.slice(close + 2).split(' ');
  const field = (/** @type {number} */ n) => Number(rest[n - 3]);
  return { pid, comm: text.slice(open + 1, close), ppid: field(4), utime: field(14), stime: field(15), starttime: field(22) };
};

/** @param {number} pid */
const cmdline = (pid) => (read(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean);
/** @param {number} pid */
const cwd = (pid) => {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
};

/** Every pid in /proc with its parent. */
const allStats = () => {
  /** @type {ReturnType<typeof readStat>[]} */
  const stats = [];
  let entries = /** @type {string[]} */ ([]);
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) if (/^\d+$/.test(entry)) stats.push(readStat(Number(entry)));
  return /** @type {NonNullable<ReturnType<typeof readStat>>[]} */ (stats.filter(Boolean));
};

/**
 * What part of the stack a process is, from its command line and working directory.
 * @param {number} pid @param {string} comm @param {number} rootPid
 */
const labelOf = (pid, comm, rootPid) => {
  const args = cmdline(pid);
  const line = args.join(' ');
  if (/DynamoDBLocal/.test(line)) return LABELS.dynamodb;
  if (pid === rootPid || args.some((arg) => /tools[\\/]local(-stack)?[\\/]start\.mjs$/.test(arg))) return LABELS.stack;
  if (/esbuild/.test(comm) || args.some((arg) => /(^|[\\/])esbuild(\.exe)?$/.test(arg))) return LABELS.esbuild;
  if (args.some((arg) => /(^|[\\/])(serverless|sls)(\.js|\.mjs)?$/.test(arg)) && args.includes('offline')) {
    const dir = cwd(pid);
    const service = dir && path.basename(path.dirname(dir)) === 'services' ? path.basename(dir) : dir ? path.basename(dir) : '?';
    return `serverless-offline ${service}`;
  }
  return comm;
};

/**
 * rootPid and every process below it, each with a label saying what it is.
 * DynamoDB Local is spawned detached (its own session) but by the start.mjs
 * process itself, so it stays a child; should it ever not be, it is found by
 * its `-port <dynamodbPort>` argument.
 * @param {number} rootPid @param {{ dynamodbPort?: number }} [options]
 * @returns {{ pid: number, label: string, comm: string }[]}
 */
export const processTree = (rootPid, { dynamodbPort } = {}) => {
  const stats = allStats();
  /** @type {Map<number, number[]>} */
  const children = new Map();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s.pid]);
  const byPid = new Map(stats.map((s) => [s.pid, s]));
  if (!byPid.has(rootPid)) return [];
  /** @type {number[]} */
  const pids = [];
  const queue = [rootPid];
  while (queue.length > 0) {
    const pid = /** @type {number} */ (queue.shift());
    if (pids.includes(pid)) continue;
    pids.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  const tree = pids.map((pid) => ({ pid, comm: byPid.get(pid)?.comm ?? '?', label: labelOf(pid, byPid.get(pid)?.comm ?? '?', rootPid) }));
  if (dynamodbPort !== undefined && !tree.some((p) => p.label === LABELS.dynamodb)) {
    for (const s of stats) {
      const args = cmdline(s.pid);
      const at = args.indexOf('-port');
      if (/DynamoDBLocal/.test(args.join(' ')) && at >= 0 && args[at + 1] === String(dynamodbPort)) tree.push({ pid: s.pid, comm: s.comm, label: LABELS.dynamodb });
    }
  }
  return tree;
};

/**
 * @typedef {{ pid: number, label: string, comm?: string }} LabelledPid
 * @typedef {{
 *   atMs: number,
 *   processes: Map<string, { pid: number, label: string, ticks: number }>,
 *   client: NodeJS.CpuUsage,
 *   machine?: { busy: number, total: number },
 * }} CpuSnapshot
 */

/** All CPUs' busy and total time from /proc/stat, in clock ticks: a cross-check that nothing outside the tree took the CPU. */
const machineTicks = () => {
  const line = read('/proc/stat')?.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return undefined;
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
};

/**
 * CPU time so far of each process (utime + stime, in clock ticks), and of the
 * bench's own process. A pid is keyed with its start time, so a pid reused by
 * a new process is not taken for the old one.
 * @param {Array<number | LabelledPid>} pids plain pids are labelled by their command name
 * @returns {CpuSnapshot}
 */
export const cpuSnapshot = (pids) => {
  const processes = new Map();
  for (const entry of pids) {
    const { pid, label } = typeof entry === 'number' ? { pid: entry, label: undefined } : entry;
    const stat = readStat(pid);
    if (stat) processes.set(`${pid}@${stat.starttime}`, { pid, label: label ?? stat.comm, ticks: stat.utime + stat.stime });
  }
  return { atMs: performance.now(), processes, client: process.cpuUsage(), machine: machineTicks() };
};

/**
 * Milliseconds of CPU per label between two snapshots (processes with the same
 * label summed), plus the bench's own process under LABELS.client. A process
 * found only in `after` started in between and counts from zero; one found
 * only in `before` exited in between and its last stretch is lost (counted in `exited`).
 * @param {CpuSnapshot} before @param {CpuSnapshot} after
 */
export const cpuDelta = (before, after) => {
  const msPerTick = 1000 / clockTicksPerSecond();
  /** @type {Record<string, number>} */
  const ms = {};
  /** @type {Record<string, number>} */
  const processCount = {};
  let started = 0;
  for (const [key, now] of after.processes) {
    const then = before.processes.get(key);
    if (!then) started += 1;
    ms[now.label] = (ms[now.label] ?? 0) + (now.ticks - (then?.ticks ?? 0)) * msPerTick;
    processCount[now.label] = (processCount[now.label] ?? 0) + 1;
  }
  const exited = [...before.processes.keys()].filter((key) => !after.processes.has(key)).length;
  ms[LABELS.client] = (after.client.user + after.client.system - before.client.user - before.client.system) / 1000;
  processCount[LABELS.client] = 1;
  const wallMs = after.atMs - before.atMs;
  const machine = before.machine && after.machine && after.machine.total > before.machine.total ? (after.machine.busy - before.machine.busy) / (after.machine.total - before.machine.total) : Number.NaN;
  return { wallMs, ms, processCount, started, exited, machineBusy: machine };
};

/**
 * @typedef {{
 *   id: string, what: string, unit: string, completed: number, wallMs: number, cores: number,
 *   cpuMsPerUnit: { label: string, ms: number, processes: number }[],
 *   totalCpuMsPerUnit: number, stackCpuMsPerUnit: number, clientCpuMsPerUnit: number,
 *   utilisation: number, machineBusy: number, cpuBoundCeiling: number,
 *   processesStarted: number, processesExited: number,
 * }} CpuPhase
 */

/**
 * Turns a delta into figures per request (or per whatever unit a phase completes).
 * @param {{ id: string, what: string, unit: string, completed: number | ((wallMs: number) => number), delta: ReturnType<typeof cpuDelta>, cores: number }} options
 * @returns {CpuPhase}
 */
export const cpuPhase = ({ id, what, unit, completed: counted, delta, cores }) => {
  const completed = typeof counted === 'function' ? counted(delta.wallMs) : counted;
  const per = (/** @type {number} */ ms) => (completed > 0 ? ms / completed : Number.NaN);
  const cpuMsPerUnit = Object.entries(delta.ms)
    .map(([label, ms]) => ({ label, ms: per(ms), processes: delta.processCount[label] ?? 0 }))
    .sort((a, b) => b.ms - a.ms);
  const total = Object.values(delta.ms).reduce((sum, ms) => sum + ms, 0);
  const stack = total - (delta.ms[LABELS.client] ?? 0);
  return {
    id,
    what,
    unit,
    completed,
    wallMs: delta.wallMs,
    cores,
    cpuMsPerUnit,
    totalCpuMsPerUnit: per(total),
    stackCpuMsPerUnit: per(stack),
    clientCpuMsPerUnit: per(delta.ms[LABELS.client] ?? 0),
    utilisation: delta.wallMs > 0 ? total / (delta.wallMs * cores) : Number.NaN,
    machineBusy: delta.machineBusy,
    cpuBoundCeiling: per(stack) > 0 ? (cores * 1000) / per(stack) : Number.NaN,
    processesStarted: delta.started,
    processesExited: delta.exited,
  };
};

/**
 * Measures the stack under `rootPid` over stretches of a run.
 * `start()` takes the first snapshot; `mark()` records a possible end (a
 * flow followed to its end marks each time one more is done, so its stretch
 * ends at the last, not when the bench stops waiting) and reads only the
 * processes known at the start; `stop()` ends at the last mark, or now.
 * @param {{ rootPid: number, dynamodbPort?: number, cores?: number }} options
 */
export const createCpuMeter = ({ rootPid, dynamodbPort, cores = os.cpus().length }) => ({
  cores,
  start: () => {
    const known = processTree(rootPid, { dynamodbPort });
    const before = cpuSnapshot(known);
    /** @type {CpuSnapshot | undefined} */
    let marked;
    return {
      mark: () => {
        marked = cpuSnapshot(known);
      },
      /** @param {{ id: string, what: string, unit: string, completed: number | ((wallMs: number) => number) }} phase */
      stop: (phase) => {
        const after = marked ?? cpuSnapshot(processTree(rootPid, { dynamodbPort }));
        return cpuPhase({ ...phase, delta: cpuDelta(before, after), cores });
      },
    };
  },
});

/** @typedef {ReturnType<typeof createCpuMeter>} CpuMeter */
