// The storage ceiling: how fast the stack's own DynamoDB Local answers the
// kinds of call a service makes, with nothing in between (no HTTP gateway, no
// serverless-offline, no function code): a GetItem of an entity-sized row
// (what a GET by id does), and a 2-item conditional TransactWriteItems
// (update a counter row if it exists + put a new row if absent: the shape of
// a write that takes from a count and records why, at once).
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  GetItemCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { localClientConfig } from '@platform/local-runtime/aws';
import { median, msSince, percentile } from './stats.mjs';

const ROWS = 100;

/**
 * A client for the emulators: throw-away credentials, a socket per worker,
 * and no SDK retries, so a failed call counts instead of being hidden.
 * @param {string} endpoint @param {number} [maxSockets]
 */
export const dynamoClient = (endpoint, maxSockets = 64) =>
  new DynamoDBClient({
    ...localClientConfig(endpoint),
    maxAttempts: 1,
    requestHandler: { httpAgent: new http.Agent({ keepAlive: true, maxSockets }) },
  });

/**
 * Creates and seeds a scratch table in the stack's DynamoDB Local.
 * @param {DynamoDBClient} client
 */
export const createScratchTable = async (client) => {
  const table = `bench-scratch-${randomUUID().slice(0, 8)}`;
  await client.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
  const rows = Array.from({ length: ROWS }, (_, i) => ({
    PutRequest: {
      Item: {
        pk: { S: `row#${i}` },
        name: { S: `bench row ${i}` },
        description: { S: 'a row about as large as a typical entity of the API' },
        amount: { N: '2500' },
        count: { N: '1000' },
        version: { N: '1' },
        createdAt: { S: new Date().toISOString() },
      },
    },
  }));
  for (let i = 0; i < rows.length; i += 25) await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: rows.slice(i, i + 25) } }));
  return table;
};

/** @param {DynamoDBClient} client @param {string} table */
export const dropScratchTable = (client, table) => client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);

/**
 * The two operations measured, as functions of the worker number.
 * @param {DynamoDBClient} client @param {string} table
 * @returns {Record<'getItem' | 'transaction', (worker: number) => Promise<unknown>>}
 */
export const operations = (client, table) => ({
  getItem: () => client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: `row#${Math.floor(Math.random() * ROWS)}` } } })),
  // One counter row per worker: contention between workers would measure
  // DynamoDB Local's conflict handling, which the services avoid by design.
  transaction: (worker) =>
    client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Update: {
              TableName: table,
              Key: { pk: { S: `counter#${worker}` } },
              UpdateExpression: 'SET n = if_not_exists(n, :zero) + :one',
              ConditionExpression: 'attribute_not_exists(pk) OR n >= :zero',
              ExpressionAttributeValues: { ':zero': { N: '0' }, ':one': { N: '1' } },
            },
          },
          {
            Put: {
              TableName: table,
              Item: { pk: { S: `record#${randomUUID()}` }, status: { S: 'TAKEN' }, amount: { N: '1' } },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      }),
    ),
});

/**
 * `concurrency` workers calling `op` back to back for `durationMs`.
 * @param {{ concurrency: number, durationMs: number, op: (worker: number) => Promise<unknown> }} options
 */
export const closedLoop = async ({ concurrency, durationMs, op }) => {
  /** @type {number[]} */
  const latencies = [];
  let errors = 0;
  /** @type {string | undefined} */
  let errorSample;
  const started = process.hrtime.bigint();
  const deadline = Date.now() + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (Date.now() < deadline) {
        const t0 = process.hrtime.bigint();
        try {
          await op(worker);
          latencies.push(msSince(t0));
        } catch (error) {
          errors += 1;
          errorSample ??= /** @type {Error} */ (error).name ?? String(error);
        }
      }
    }),
  );
  const elapsedS = msSince(started) / 1000;
  return { ops: latencies.length, rate: latencies.length / elapsedS, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors, errorSample };
};

/**
 * A warm-up (the JVM's JIT needs one), then `runs` timed runs; medians of the
 * figures, totals of the errors.
 * @param {{ concurrency: number, durationMs: number, runs: number, warmupMs: number,
 *   op: (worker: number) => Promise<unknown>, onRun?: (run: number) => void }} options
 */
export const measureLevel = async ({ concurrency, durationMs, runs, warmupMs, op, onRun }) => {
  if (warmupMs > 0) await closedLoop({ concurrency, durationMs: warmupMs, op });
  const results = [];
  for (let run = 1; run <= runs; run += 1) {
    onRun?.(run);
    results.push(await closedLoop({ concurrency, durationMs, op }));
  }
  return {
    connections: concurrency,
    runs,
    requests: results.reduce((total, r) => total + r.ops, 0),
    rps: median(results.map((r) => r.rate)),
    p50: median(results.map((r) => r.p50)),
    p99: median(results.map((r) => r.p99)),
    errors: results.reduce((total, r) => total + r.errors, 0),
    errorSample: results.find((r) => r.errorSample)?.errorSample,
  };
};
