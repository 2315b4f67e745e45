// The object-storage ceiling without an S3: a fake client that answers each
// PutObject after a while, to check the closed loop's count, concurrency,
// figures, error counting and clean-up.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeleteObjectCommand, DeleteObjectsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { deleteKeys, measurePutCeiling, s3Client } from '../lib/s3-ceiling.mjs';

/**
 * @param {{ failEvery?: number, deleteObjects?: boolean }} [options]
 */
const fakeS3 = ({ failEvery, deleteObjects = true } = {}) => {
  const state = { inFlight: 0, maxInFlight: 0, puts: /** @type {any[]} */ ([]), deleted: /** @type {string[]} */ ([]) };
  const client = {
    state,
    /** @param {any} command */
    send: async (command) => {
      if (command instanceof PutObjectCommand) {
        state.inFlight += 1;
        state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
        await new Promise((resolve) => setTimeout(resolve, 2));
        state.inFlight -= 1;
        state.puts.push(command.input);
        if (failEvery && state.puts.length % failEvery === 0) throw Object.assign(new Error('slow down'), { name: 'SlowDown' });
        return {};
      }
      if (command instanceof DeleteObjectsCommand) {
        if (!deleteObjects) throw Object.assign(new Error('not implemented'), { name: 'NotImplemented' });
        state.deleted.push(...(command.input.Delete?.Objects ?? []).map((o) => /** @type {string} */ (o.Key)));
        return { Errors: [] };
      }
      if (command instanceof DeleteObjectCommand) {
        state.deleted.push(/** @type {string} */ (command.input.Key));
        return {};
      }
      throw new Error(`unexpected ${command.constructor.name}`);
    },
  };
  return client;
};

describe('the object-storage ceiling', () => {
  it('puts `count` objects `concurrency` at a time after a warm-up, under the prefix, and deletes them after', async () => {
    const client = fakeS3();
    const body = new Uint8Array([1, 2, 3]);
    const result = await measurePutCeiling({ client: /** @type {any} */ (client), bucket: 'b', prefix: 'bench/', body, contentType: 'image/png', count: 20, concurrency: 4 });
    assert.equal(client.state.puts.length, 24, '4 warm-up + 20 timed');
    assert.equal(client.state.maxInFlight, 4);
    assert.ok(client.state.puts.every((p) => p.Bucket === 'b' && p.Key.startsWith('bench/') && p.Body === body && p.ContentType === 'image/png'));
    assert.equal(new Set(client.state.puts.map((p) => p.Key)).size, 24, 'every key new');
    assert.deepEqual([...client.state.deleted].sort(), client.state.puts.map((p) => p.Key).sort());
    assert.equal(result.puts, 20);
    assert.equal(result.count, 20);
    assert.equal(result.concurrency, 4);
    assert.equal(result.connections, 4);
    assert.equal(result.bytes, 3);
    assert.equal(result.errors, 0);
    assert.ok(result.rps > 0 && result.p50 >= 1 && result.p95 >= result.p50 && result.max >= result.p99);
  });

  it('counts failed puts instead of stopping, and keeps them out of the rate', async () => {
    const client = fakeS3({ failEvery: 5 });
    const result = await measurePutCeiling({ client: /** @type {any} */ (client), bucket: 'b', body: new Uint8Array(1), count: 20, concurrency: 2, warmup: 0 });
    assert.equal(result.errors, 4);
    assert.equal(result.puts, 16);
    assert.match(/** @type {string} */ (result.errorSample), /^SlowDown: slow down/);
  });

  it('deletes one by one where DeleteObjects is not served', async () => {
    const client = fakeS3({ deleteObjects: false });
    await deleteKeys(/** @type {any} */ (client), 'b', ['k1', 'k2', 'k3']);
    assert.deepEqual(client.state.deleted.sort(), ['k1', 'k2', 'k3']);
  });

  it('makes a path-style client with the local admin key and no retries', async () => {
    const client = s3Client('http://127.0.0.1:4569');
    assert.equal(client.config.forcePathStyle, true);
    assert.equal(await client.config.maxAttempts(), 1);
    const credentials = await client.config.credentials();
    assert.equal(typeof credentials.accessKeyId, 'string');
    client.destroy();
  });
});
