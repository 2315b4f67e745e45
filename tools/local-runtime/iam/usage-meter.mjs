// What each call the IAM proxies forward costs, counted into the stack's
// usage meter (stack/usage.mjs), for the cost model.
//
// DynamoDB: DynamoDB Local computes the capacity units of a call as AWS does
// (an Item's size rounded up to 1 KB per write unit and 4 KB per read unit, half a
// unit for an eventually consistent read, twice the units in a transaction)
// and returns them when asked. So the proxy asks for them on every call
// (ReturnConsumedCapacity: TOTAL, unless the caller asked for them itself),
// records them, and takes them out of the answer again when the caller had
// not asked: the function sees exactly the answer it would have had. Computing
// the units at the proxy instead would mean knowing the stored Item's size,
// which the proxy never sees for an UpdateItem, a DeleteItem or a condition.
// An error answer carries no units; AWS still charges a write whose condition
// failed: that call is counted as its minimum (1 write unit per Item, 2 in a
// transaction) and marked modelled.
//
// SNS and SQS: one call is one billed request per 64 KB (or part) of its
// body, an upper bound on its payload; `messages` counts the entries it carried.
import { crc32 } from 'node:zlib';
import { dynamodbKind, usage as stackUsage } from '../stack/usage.mjs';

/** @typedef {import('../stack/usage.mjs').Usage} Usage */

const CHUNK = 64 * 1024;
/** Billed requests of a call with this body: one per 64 KB or part of it. @param {number} bytes */
export const billedRequests = (bytes) => Math.max(1, Math.ceil(bytes / CHUNK));

/**
 * The capacity a DynamoDB answer reports, by table: ConsumedCapacity is one object or a list.
 * @param {unknown} consumed @returns {{ table: string, units: number }[]}
 */
export const capacityOf = (consumed) =>
  (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).map((/** @type {any} */ c) => ({ table: String(c.TableName ?? '?'), units: Number(c.CapacityUnits ?? 0) }));

/**
 * The tables of a write request's Items, one entry per Item (for a failed write's minimum charge).
 * @param {string} operation @param {any} body @returns {string[]}
 */
const writeTables = (operation, body) => {
  if (operation === 'TransactWriteItems') return (body.TransactItems ?? []).map((/** @type {any} */ entry) => Object.values(entry ?? {})[0]?.TableName ?? '?');
  if (operation === 'BatchWriteItem') return Object.entries(body.RequestItems ?? {}).flatMap(([table, writes]) => (Array.isArray(writes) ? writes.map(() => table) : []));
  return [body.TableName ?? '?'];
};

/**
 * A call of `functionName` through a proxy, metered: the body to forward in its place (DynamoDB:
 * with ReturnConsumedCapacity), and what to make of the emulator's answer (the answer to send back).
 * @param {{ emulator: 'dynamodb' | 'sns-sqs', service: string, functionName: string, operation: string, resources: string[], body: Buffer, usage?: Usage }} call
 * @returns {{ body: Buffer, answer?: (status: number, headers: Record<string, string | string[] | undefined>, body: Buffer) => Buffer }}
 */
export const meterCall = ({ service, functionName, operation, resources, body, usage = stackUsage }) => {
  if (service === 'sns' || service === 'sqs') {
    const messages = operation.endsWith('Batch') ? entriesOf(body) : 1;
    usage.messaging({ service, caller: functionName, operation, resource: nameOf(resources[0] ?? '*'), requests: billedRequests(body.length), messages, bytes: body.length });
    return { body };
  }
  if (service !== 'dynamodb') return { body };
  /** @type {any} */
  let request;
  try {
    request = JSON.parse(body.toString('utf8'));
  } catch {
    return { body };
  }
  const { kind, transactional } = dynamodbKind(operation, request?.Statement);
  if (!kind || typeof request !== 'object' || request === null) return { body };
  const asked = request.ReturnConsumedCapacity !== undefined && request.ReturnConsumedCapacity !== 'NONE';
  const forwarded = asked ? body : Buffer.from(JSON.stringify({ ...request, ReturnConsumedCapacity: 'TOTAL' }));
  return {
    body: forwarded,
    answer: (status, headers, answerBody) => {
      /** @type {any} */
      let answer;
      try {
        answer = JSON.parse(answerBody.toString('utf8') || '{}');
      } catch {
        return answerBody;
      }
      if (status === 200) {
        usage.dynamodb({ functionName, operation, kind, transactional, capacity: capacityOf(answer.ConsumedCapacity) });
        if (asked || answer.ConsumedCapacity === undefined) return answerBody;
        delete answer.ConsumedCapacity;
        const stripped = Buffer.from(JSON.stringify(answer));
        // The SDK may check the answer's checksum: it is the stripped answer's now.
        if (headers['x-amz-crc32'] !== undefined) headers['x-amz-crc32'] = String(crc32(stripped));
        return stripped;
      }
      // A failed condition is charged all the same, with no units in the answer: its minimum.
      const type = String(answer.__type ?? '');
      if (kind === 'write' && /ConditionalCheckFailed|TransactionCanceled/.test(type)) {
        const unitsPerWrite = transactional ? 2 : 1;
        const byTable = new Map();
        for (const table of writeTables(operation, request)) byTable.set(table, (byTable.get(table) ?? 0) + unitsPerWrite);
        usage.dynamodb({ functionName, operation, kind, transactional, capacity: [...byTable].map(([table, units]) => ({ table, units })), modelled: true, failed: true });
      }
      return answerBody;
    },
  };
};

/** A queue's or topic's name from its ARN. @param {string} arn */
const nameOf = (arn) => arn.split(':').at(-1) ?? arn;

/** How many entries a batch call carries (JSON Entries, or a form's numbered members). @param {Buffer} body */
const entriesOf = (body) => {
  const text = body.toString('utf8');
  try {
    const json = JSON.parse(text);
    if (Array.isArray(json?.Entries)) return json.Entries.length;
  } catch {
    // a form
  }
  const ids = new Set([...text.matchAll(/(?:^|&)(?:PublishBatchRequestEntries|Entries)\.member\.(\d+)\.Id=/g)].map((m) => m[1]));
  return Math.max(1, ids.size);
};
