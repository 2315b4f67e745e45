// A small in-process model of DynamoDB's per-partition throttling, for capacity
// planning: DynamoDB Local never throttles, so what a hot key does to a design
// is worked out here, from the published limits. It knows no domain: a caller
// describes each kind of request by the capacity units it takes on which
// partition keys (system-tests/capacity/ does so for the order saga).

/**
 * DynamoDB's published limits for one partition, which hold on-demand and
 * provisioned alike: 3,000 read units and 1,000 write units a second. One
 * partition key is never split over partitions, so they are a key's ceiling
 * too (adaptive capacity can isolate a hot item on a partition of its own,
 * never give it more).
 *
 * Burst: DynamoDB keeps up to 300 s of a provisioned table's unused capacity,
 * but burst capacity "can't alleviate partition-level throttling": a
 * partition never goes above its own limits. So the model's bucket for a key
 * holds `burstSeconds` = 1 second of its limit: an idle key can take one
 * second's worth at once, never more, and sustains exactly the limit.
 */
export const DYNAMODB_PARTITION_LIMITS = Object.freeze({
  writeUnitsPerSecond: 1000,
  readUnitsPerSecond: 3000,
  burstSeconds: 1,
  sources: Object.freeze([
    'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html',
    'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/burst-adaptive-capacity.html',
    'https://repost.aws/knowledge-center/dynamodb-spiky-workloads-short-intervals',
  ]),
});

/**
 * The AWS SDK's standard retry mode for a throttled call: 3 attempts in all,
 * each retry after a random delay of up to base × 2^retry (full jitter).
 */
export const SDK_STANDARD_RETRY = Object.freeze({ attempts: 3, baseDelayMs: 100 });

/**
 * @typedef {{ key: string, writeUnits?: number, readUnits?: number }} Use
 *   what one request takes from one partition key
 * @typedef {{ name: string, perSecond: number, uses: (index: number, random: () => number) => Use[] }} Stream
 *   requests of one kind, arriving evenly at `perSecond`; all of a request's uses
 *   succeed together or it is throttled as a whole (as a transaction is, and an
 *   item write with its index writes)
 * @typedef {{ writeUnitsPerSecond: number, readUnitsPerSecond: number, burstSeconds: number }} PartitionLimits
 * @typedef {{ offered: number, completed: number, completedPerSecond: number, steadyPerSecond: number, throttledAttempts: number, failed: number }} StreamResult
 *   completedPerSecond: over the whole window; steadyPerSecond: after the first
 *   `burstSeconds`, when an idle key's stored second has been spent
 */

/** A seeded random number generator (mulberry32): the same run for the same seed. @param {number} seed */
export const seededRandom = (seed) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** Units per key that a list of uses adds up to. @param {Use[]} uses */
const byKey = (uses) => {
  /** @type {Map<string, { write: number, read: number }>} */
  const totals = new Map();
  for (const { key, writeUnits = 0, readUnits = 0 } of uses) {
    const total = totals.get(key) ?? { write: 0, read: 0 };
    total.write += writeUnits;
    total.read += readUnits;
    totals.set(key, total);
  }
  return totals;
};

/**
 * Token buckets, one per partition key, refilled at the limits.
 * @param {PartitionLimits} limits
 */
export const createPartitions = (limits) => {
  const writeCapacity = limits.writeUnitsPerSecond * limits.burstSeconds;
  const readCapacity = limits.readUnitsPerSecond * limits.burstSeconds;
  /** @type {Map<string, { write: number, read: number, atMs: number }>} */
  const buckets = new Map();
  /** @param {string} key @param {number} atMs */
  const bucket = (key, atMs) => {
    const found = buckets.get(key);
    if (!found) {
      const fresh = { write: writeCapacity, read: readCapacity, atMs };
      buckets.set(key, fresh);
      return fresh;
    }
    const elapsed = Math.max(0, atMs - found.atMs) / 1000;
    found.write = Math.min(writeCapacity, found.write + elapsed * limits.writeUnitsPerSecond);
    found.read = Math.min(readCapacity, found.read + elapsed * limits.readUnitsPerSecond);
    found.atMs = Math.max(found.atMs, atMs);
    return found;
  };
  return {
    /**
     * Takes the uses at `atMs` if every key has the capacity, and says so; a
     * throttled request takes nothing (DynamoDB charges none for it).
     * @param {Use[]} uses @param {number} atMs
     */
    tryTake(uses, atMs) {
      const totals = byKey(uses);
      const held = [...totals].map(([key, need]) => ({ need, have: bucket(key, atMs) }));
      if (held.some(({ need, have }) => have.write < need.write || have.read < need.read)) return false;
      for (const { need, have } of held) {
        have.write -= need.write;
        have.read -= need.read;
      }
      return true;
    },
  };
};

/** A binary min-heap of pending attempts, by time. */
const createQueue = () => {
  /** @type {Array<{ atMs: number, seq: number, stream: number, index: number, attempt: number }>} */
  const heap = [];
  /** @param {number} a @param {number} b */
  const less = (a, b) => {
    const x = /** @type {(typeof heap)[number]} */ (heap[a]);
    const y = /** @type {(typeof heap)[number]} */ (heap[b]);
    return x.atMs < y.atMs || (x.atMs === y.atMs && x.seq < y.seq);
  };
  /** @param {number} a @param {number} b */
  const swap = (a, b) => {
    const t = /** @type {(typeof heap)[number]} */ (heap[a]);
    heap[a] = /** @type {(typeof heap)[number]} */ (heap[b]);
    heap[b] = t;
  };
  return {
    get size() {
      return heap.length;
    },
    /** @param {(typeof heap)[number]} entry */
    push(entry) {
      heap.push(entry);
      for (let i = heap.length - 1; i > 0; ) {
        const parent = (i - 1) >> 1;
        if (!less(i, parent)) break;
        swap(i, parent);
        i = parent;
      }
    },
    pop() {
      const top = heap[0];
      const last = heap.pop();
      if (heap.length > 0 && last) {
        heap[0] = last;
        for (let i = 0; ; ) {
          const [l, r] = [2 * i + 1, 2 * i + 2];
          let least = i;
          if (l < heap.length && less(l, least)) least = l;
          if (r < heap.length && less(r, least)) least = r;
          if (least === i) break;
          swap(i, least);
          i = least;
        }
      }
      return top;
    },
  };
};

/**
 * Runs the streams for `seconds` against per-key buckets. Each request tries
 * when it arrives; a throttled one is retried as the SDK does (`retry`), and
 * after its last attempt it has failed (for an SQS consumer: the record comes
 * back after its visibility timeout, outside the window). A request counts as
 * completed when it succeeds inside the window.
 * @param {{ streams: Stream[], seconds: number, limits?: PartitionLimits, retry?: { attempts: number, baseDelayMs: number }, seed?: number }} options
 * @returns {{ seconds: number, streams: Record<string, StreamResult> }}
 */
export const simulatePartitions = ({ streams, seconds, limits = DYNAMODB_PARTITION_LIMITS, retry = SDK_STANDARD_RETRY, seed = 1 }) => {
  const random = seededRandom(seed);
  const partitions = createPartitions(limits);
  const windowMs = seconds * 1000;
  const steadyFromMs = Math.min(limits.burstSeconds, seconds / 2) * 1000;
  /** @type {number[]} completions after steadyFromMs, by stream */
  const steady = streams.map(() => 0);
  const queue = createQueue();
  let seq = 0;
  /** @type {StreamResult[]} */
  const results = streams.map(() => ({ offered: 0, completed: 0, completedPerSecond: 0, steadyPerSecond: 0, throttledAttempts: 0, failed: 0 }));
  streams.forEach((stream, s) => {
    const count = Math.floor(stream.perSecond * seconds);
    const result = /** @type {StreamResult} */ (results[s]);
    result.offered = count;
    for (let index = 0; index < count; index += 1) queue.push({ atMs: (index * 1000) / stream.perSecond, seq: seq++, stream: s, index, attempt: 1 });
  });
  /** @type {Map<string, Use[]>} the uses of each request, drawn once (a retry takes the same ones) */
  const drawn = new Map();
  while (queue.size > 0) {
    const next = /** @type {NonNullable<ReturnType<typeof queue.pop>>} */ (queue.pop());
    const stream = /** @type {Stream} */ (streams[next.stream]);
    const result = /** @type {StreamResult} */ (results[next.stream]);
    const id = `${next.stream}:${next.index}`;
    const uses = drawn.get(id) ?? stream.uses(next.index, random);
    if (partitions.tryTake(uses, next.atMs)) {
      drawn.delete(id);
      if (next.atMs < windowMs) result.completed += 1;
      if (next.atMs >= steadyFromMs && next.atMs < windowMs) steady[next.stream] = (steady[next.stream] ?? 0) + 1;
      continue;
    }
    result.throttledAttempts += 1;
    if (next.attempt >= retry.attempts) {
      drawn.delete(id);
      result.failed += 1;
      continue;
    }
    drawn.set(id, uses);
    const delay = random() * retry.baseDelayMs * 2 ** next.attempt;
    queue.push({ ...next, atMs: next.atMs + delay, seq: seq++, attempt: next.attempt + 1 });
  }
  results.forEach((result, s) => {
    result.completedPerSecond = result.completed / seconds;
    result.steadyPerSecond = (steady[s] ?? 0) / ((windowMs - steadyFromMs) / 1000);
  });
  return { seconds, streams: Object.fromEntries(streams.map((stream, s) => [stream.name, /** @type {StreamResult} */ (results[s])])) };
};

/**
 * The rate at which requests of one kind make some key reach its limit, from
 * the average units each request takes per key (over `sample` requests), and
 * which key that is: the analytic ceiling the simulation should approach.
 * @param {(index: number, random: () => number) => Use[]} uses
 * @param {{ limits?: PartitionLimits, sample?: number, seed?: number }} [options]
 * @returns {{ perSecond: number, key: string, unit: 'write' | 'read', unitsPerRequest: number }}
 */
export const analyticCeiling = (uses, { limits = DYNAMODB_PARTITION_LIMITS, sample = 10_000, seed = 1 } = {}) => {
  const random = seededRandom(seed);
  /** @type {Map<string, { write: number, read: number }>} */
  const totals = new Map();
  for (let index = 0; index < sample; index += 1) {
    for (const [key, units] of byKey(uses(index, random))) {
      const total = totals.get(key) ?? { write: 0, read: 0 };
      total.write += units.write;
      total.read += units.read;
      totals.set(key, total);
    }
  }
  let best = { perSecond: Number.POSITIVE_INFINITY, key: '', unit: /** @type {'write' | 'read'} */ ('write'), unitsPerRequest: 0 };
  for (const [key, total] of totals) {
    for (const unit of /** @type {const} */ (['write', 'read'])) {
      const perRequest = total[unit] / sample;
      if (perRequest === 0) continue;
      const limit = unit === 'write' ? limits.writeUnitsPerSecond : limits.readUnitsPerSecond;
      const perSecond = limit / perRequest;
      if (perSecond < best.perSecond) best = { perSecond, key, unit, unitsPerRequest: perRequest };
    }
  }
  return best;
};
