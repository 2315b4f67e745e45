// The object-storage ceiling: how fast the stack's local S3 endpoint stores an
// object with nothing else in the way (no API, no form policy, no
// notification, no function): raw PutObject calls signed with the stack's
// admin key, a fixed number of them at a fixed concurrency, each a new key
// under a prefix of the scenario's choosing. A scenario sets what it uploads
// beside it (same bytes, same concurrency, same run).
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { DeleteObjectCommand, DeleteObjectsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { localClientConfig } from '@platform/local-runtime/aws';
import { msSince, percentile } from './stats.mjs';

/**
 * A client for the local S3 endpoint: the admin key, path-style addressing (an
 * address, not a bucket host name), a socket per worker and no SDK retries, so
 * a failed call counts instead of being hidden.
 * @param {string} endpoint @param {number} [maxSockets]
 */
export const s3Client = (endpoint, maxSockets = 64) =>
  new S3Client({
    ...localClientConfig(endpoint),
    forcePathStyle: true,
    maxAttempts: 1,
    requestHandler: { httpAgent: new http.Agent({ keepAlive: true, maxSockets }) },
  });

/**
 * @typedef {object} PutCeiling
 * @property {number} concurrency
 * @property {number} count  puts asked for (the warm-up's not counted)
 * @property {number} puts  puts that succeeded
 * @property {number} bytes  size of each object
 * @property {number} rps  successful puts per second over the timed stretch
 * @property {number} p50 @property {number} p95 @property {number} p99 @property {number} max  per put, ms
 * @property {number} wallMs
 * @property {number} errors
 * @property {string} [errorSample]
 * @property {number} connections  = concurrency (as the engine's ceilings name their level)
 */

/**
 * `count` PutObject calls of `body`, `concurrency` at a time (closed loop:
 * each worker sends its next put when its last one is answered), after
 * `warmup` untimed ones; then the objects are deleted again.
 * @param {{ client: S3Client, bucket: string, prefix?: string, body: Uint8Array, contentType?: string,
 *   count: number, concurrency: number, warmup?: number, onProgress?: (detail: string) => void }} options
 * @returns {Promise<PutCeiling>}
 */
export const measurePutCeiling = async ({ client, bucket, prefix = 'bench/', body, contentType = 'application/octet-stream', count, concurrency, warmup = concurrency, onProgress }) => {
  const run = randomUUID().slice(0, 8);
  /** @type {string[]} */
  const keys = [];
  const put = async (/** @type {string} */ key) => {
    keys.push(key);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
  };
  /**
   * @param {number} total @param {string} label
   * @returns {Promise<{ latencies: number[], errors: number, errorSample?: string, wallMs: number }>}
   */
  const loop = async (total, label) => {
    /** @type {number[]} */
    const latencies = [];
    let errors = 0;
    /** @type {string | undefined} */
    let errorSample;
    let next = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: Math.min(concurrency, total) }, async () => {
        for (let i = next++; i < total; i = next++) {
          const t0 = process.hrtime.bigint();
          try {
            await put(`${prefix}${run}/${label}-${i}`);
            latencies.push(msSince(t0));
          } catch (error) {
            errors += 1;
            errorSample ??= `${/** @type {Error} */ (error).name ?? 'Error'}: ${/** @type {Error} */ (error).message ?? String(error)}`.slice(0, 300);
          }
          if ((i + 1) % 50 === 0) onProgress?.(`${label} ${i + 1}/${total}`);
        }
      }),
    );
    return { latencies, errors, errorSample, wallMs: msSince(started) };
  };
  if (warmup > 0) await loop(warmup, 'warmup');
  const timed = await loop(count, 'put');
  await deleteKeys(client, bucket, keys);
  const { latencies } = timed;
  return {
    concurrency,
    connections: concurrency,
    count,
    puts: latencies.length,
    bytes: body.length,
    rps: timed.wallMs > 0 ? latencies.length / (timed.wallMs / 1000) : Number.NaN,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: latencies.length > 0 ? Math.max(...latencies) : Number.NaN,
    wallMs: timed.wallMs,
    errors: timed.errors,
    ...(timed.errorSample && { errorSample: timed.errorSample }),
  };
};

/**
 * Deletes the keys, 1,000 a call (S3's limit); what fails is left for the bucket's lifecycle rules.
 * @param {S3Client} client @param {string} bucket @param {string[]} keys
 */
export const deleteKeys = async (client, bucket, keys) => {
  for (let i = 0; i < keys.length; i += 1_000) {
    const batch = keys.slice(i, i + 1_000);
    const deleted = await client
      .send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }))
      .then((answer) => (answer.Errors ?? []).length === 0)
      .catch(() => false);
    // An emulator without DeleteObjects: one by one, a few at a time.
    if (!deleted) {
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let j = next++; j < batch.length; j = next++) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: batch[j] })).catch(() => undefined);
        }),
      );
    }
  }
};
