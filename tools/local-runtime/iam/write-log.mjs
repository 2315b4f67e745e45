// What the functions wrote, as the local IAM layer saw their calls pass on the
// way to the emulators: each DynamoDB write (PutItem, UpdateItem, DeleteItem,
// BatchWriteItem, each part of a TransactWriteItems, PartiQL writes), SNS
// publish and SQS send a function made, when, and what the emulator answered.
// Only what it needs to answer one question after a request failed: did the
// invocation write anything before it timed out or crashed?
//  - a write whose request carries the invocation's marker (the request id: the
//    functions stamp it on what they write as their correlation id) is its own;
//  - a write by the same function while the invocation ran is its own too when
//    no other invocation of that function ran at any moment of it;
//  - a write stamped with another correlation id is another invocation's;
//  - otherwise the local layer cannot tell, and says so.
// It keeps the last `capacity` writes, by reference (the request body the proxy
// already read), and reads them only when asked.

/** The actions that change something outside the function. */
export const WRITE_ACTIONS = new Set([
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:PartiQLInsert',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
  'sns:Publish',
  'sqs:SendMessage',
]);

export const DEFAULT_CAPACITY = 5_000;
// A write the proxy forwarded before the invocation ended may be answered a moment after.
const SETTLE_WAIT_MS = 1_000;
// A write that reached the proxy just after the invocation's answer still counts as its own.
const LATE_MS = 50;

/**
 * @typedef {{ at: number, functionName: string, operation: string, targets: string[], body: Buffer, status?: number, settled: Promise<void>, settle: (status: number) => void }} Write
 *   status: the emulator's answer; 0 when it gave none (the connection broke)
 * @typedef {{ known: false, reason: string }
 *   | { known: true, wrote: Write[], refused: Write[], pending: Write[], ambiguous: Write[] }} Writes
 */

// A correlation id as the functions stamp it on a row (`"correlationId":{"S":"…"}`) or pass it to an update (`":correlationId":{"S":"…"}`).
const CORRELATION_ID = /correlationId"\s*:\s*\{\s*"S"\s*:\s*"([^"]+)"/g;
/** @param {Buffer} body */
const correlationIdsIn = (body) => (body.includes('correlationId') ? [...body.toString('utf8').matchAll(CORRELATION_ID)].map((match) => String(match[1])) : []);

/** The name in an ARN: a table's (…:table/<name>[/…]), a topic's or a queue's (…:<name>). @param {string} arn */
const nameOf = (arn) => (arn.includes(':table/') ? (arn.split(':table/')[1]?.split('/')[0] ?? arn) : (arn.split(':').pop() ?? arn));

/**
 * @param {{ capacity?: number, now?: () => number }} [options]
 */
export const createWriteLog = ({ capacity = DEFAULT_CAPACITY, now = Date.now } = {}) => {
  /** @type {Array<Write | undefined>} */
  const ring = new Array(capacity);
  let total = 0;

  return {
    /**
     * A call a function's role allowed, about to be forwarded: returns the
     * write it is, to settle with the emulator's status, or undefined when it
     * writes nothing.
     * @param {{ functionName: string, operation: string, checks: Array<{ action: string, resource: string }>, body: Buffer }} call
     * @returns {Write | undefined}
     */
    begin({ functionName, operation, checks, body }) {
      const writing = checks.filter((check) => WRITE_ACTIONS.has(check.action));
      if (writing.length === 0) return undefined;
      /** @type {(status: number) => void} */
      let settle = () => undefined;
      const settled = new Promise((/** @type {(value?: void) => void} */ resolve) => {
        settle = (status) => {
          write.status = status;
          resolve();
        };
      });
      /** @type {Write} */
      const write = { at: now(), functionName, operation, targets: [...new Set(writing.map((check) => nameOf(check.resource)))], body, settled, settle: (status) => settle(status) };
      ring[total % capacity] = write;
      total += 1;
      return write;
    },

    /**
     * What an invocation of `functionName` wrote between startedAt and endedAt:
     * waits (a second at most) for the emulator's answer to writes still in flight.
     * @param {{ functionName: string, marker?: string, startedAt: number, endedAt: number, alone: boolean }} invocation
     * @returns {Promise<Writes>}
     */
    async writesOf({ functionName, marker, startedAt, endedAt, alone }) {
      /** @type {Write[]} */
      const during = [];
      for (let seq = Math.max(0, total - capacity); seq < total; seq += 1) {
        const write = /** @type {Write} */ (ring[seq % capacity]);
        if (write.functionName === functionName && write.at >= startedAt && write.at <= endedAt + LATE_MS) during.push(write);
      }
      if (total > capacity && (/** @type {Write} */ (ring[total % capacity])?.at ?? 0) > startedAt) {
        return { known: false, reason: `more than ${capacity} writes since it started: the oldest are no longer kept` };
      }
      /** @type {NodeJS.Timeout | undefined} */
      let timer;
      await Promise.race([Promise.all(during.map((write) => write.settled)), new Promise((resolve) => (timer = setTimeout(resolve, SETTLE_WAIT_MS)))]);
      clearTimeout(timer);
      const own = during.filter((write) => alone || (marker !== undefined && write.body.includes(marker)));
      // A write stamped with another correlation id is another invocation's.
      const ambiguous = during.filter((write) => !own.includes(write) && !correlationIdsIn(write.body).some((id) => id !== marker));
      return {
        known: true,
        wrote: own.filter((write) => write.status !== undefined && write.status >= 200 && write.status < 300),
        refused: own.filter((write) => write.status !== undefined && write.status !== 0 && (write.status < 200 || write.status >= 300)),
        // Sent on to the emulator, and not answered (yet): it may have been written.
        pending: own.filter((write) => write.status === undefined || write.status === 0),
        ambiguous,
      };
    },
  };
};

/** @param {Write[]} writes */
const listed = (writes) => {
  /** @type {Map<string, number>} */
  const counts = new Map();
  for (const write of writes) {
    const key = `${write.operation} on ${write.targets.join(', ')}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, count]) => (count > 1 ? `${count} × ${key}` : key)).join('; ');
};

/**
 * The writes of an invocation in words, for one log line: `wrote nothing`,
 * `wrote: TransactWriteItems on <table>`, or why it is unknown.
 * @param {Writes} writes
 */
export const describeWrites = (writes) => {
  if (!writes.known) return `writes unknown (${writes.reason})`;
  const { wrote, refused, pending, ambiguous } = writes;
  if (ambiguous.length > 0 && wrote.length === 0 && pending.length === 0) {
    return `writes unknown (${ambiguous.length} write(s) by this function while other invocations of it ran, none carrying this request's id)`;
  }
  const parts = wrote.length > 0 ? [`wrote: ${listed(wrote)}`] : pending.length > 0 ? [] : ['wrote nothing'];
  if (pending.length > 0) parts.push(`may have written: ${listed(pending)} (sent to the emulator, not answered when asked)`);
  if (refused.length > 0) parts.push(`refused by the emulator: ${listed(refused)}`);
  if (ambiguous.length > 0) parts.push(`and maybe more: ${ambiguous.length} write(s) by other invocations of this function at the same time`);
  return parts.join('; ');
};
