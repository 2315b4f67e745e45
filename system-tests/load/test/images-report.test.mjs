// The item-image part of the bench without a stack: the PNG it uploads, the
// figures it draws from its uploads, how it shares items between workers, and
// its rows and notes in the table.
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { benchPng, crc32, itemsByWorker, PNG_SIGNATURE, summariseUploads } from '../lib/images.mjs';
import { buildRows, imagesNotes, imagesRows } from '../lib/report.mjs';

/** @param {Uint8Array} png @returns {{ type: string, data: Buffer, crcOk: boolean }[]} */
const chunksOf = (png) => {
  const buffer = Buffer.from(png);
  const chunks = [];
  for (let at = 8; at < buffer.length; ) {
    const length = buffer.readUInt32BE(at);
    const type = buffer.toString('ascii', at + 4, at + 8);
    const data = buffer.subarray(at + 8, at + 8 + length);
    const crc = buffer.readUInt32BE(at + 8 + length);
    chunks.push({ type, data, crcOk: crc === crc32(buffer.subarray(at + 4, at + 8 + length)) });
    at += 12 + length;
  }
  return chunks;
};

describe('benchPng', () => {
  it('is a valid PNG of a few KB: signature, IHDR, IDAT, IEND, each CRC right, the pixels all there', () => {
    const png = benchPng();
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.deepEqual(Buffer.from(png.subarray(0, 8)), PNG_SIGNATURE);
    assert.ok(png.length > 2_000 && png.length < 8_000, `${png.length} bytes`);
    const chunks = chunksOf(png);
    assert.deepEqual(chunks.map((c) => c.type), ['IHDR', 'IDAT', 'IEND']);
    assert.ok(chunks.every((c) => c.crcOk), 'every chunk CRC matches');
    const header = /** @type {Buffer} */ (chunks[0]?.data);
    assert.equal(header.readUInt32BE(0), 32);
    assert.equal(header.readUInt32BE(4), 32);
    assert.deepEqual([...header.subarray(8)], [8, 2, 0, 0, 0]);
    assert.equal(inflateSync(/** @type {Buffer} */ (chunks[1]?.data)).length, 32 * (1 + 32 * 3));
  });

  it('is the same for the same seed, and scales with its side', () => {
    assert.deepEqual(benchPng(), benchPng());
    assert.notDeepEqual(benchPng({ seed: 1 }), benchPng({ seed: 2 }));
    assert.ok(benchPng({ side: 16 }).length < benchPng({ side: 32 }).length);
  });

  it('computes the standard CRC-32', () => {
    assert.equal(crc32(Buffer.from('IEND', 'ascii')), 0xae426082);
    assert.equal(crc32(Buffer.from('123456789', 'ascii')), 0xcbf43926);
  });
});

describe('itemsByWorker', () => {
  it('gives each worker its own items, none shared', () => {
    assert.deepEqual(itemsByWorker(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], 4), [['a', 'e'], ['b', 'f'], ['c', 'g'], ['d', 'h']]);
    assert.deepEqual(itemsByWorker(['a', 'b', 'c'], 2), [['a', 'c'], ['b']]);
  });

  it('refuses fewer items than workers (two workers would share an item)', () => {
    assert.throws(() => itemsByWorker(['a'], 2), /at least as many items/);
  });
});

/** @param {number} i @param {number} visibleMs */
const seen = (i, visibleMs) => ({ itemId: `item-${i % 2}`, imageId: `img-${i}`, outcome: /** @type {const} */ ('visible'), grantMs: 20, postMs: 10, storedAt: i * 100, visibleMs, polls: 3, endedAt: i * 100 + visibleMs });

describe('summariseUploads', () => {
  const run = { wallMs: 2_000, concurrency: 2, items: 4, bytes: 3_000, pollMs: 50 };

  it('rates the uploads seen over the run, and their latency from stored to visible', () => {
    const records = Array.from({ length: 10 }, (_, i) => seen(i, 100 * (i + 1)));
    const s = summariseUploads(records, run);
    assert.equal(s.uploads, 10);
    assert.equal(s.visible, 10);
    assert.equal(s.uploadsPerSecond, 5);
    assert.equal(s.visibleP50, 500);
    assert.equal(s.visibleP95, 1_000);
    assert.equal(s.visibleMax, 1_000);
    assert.equal(s.grantP50, 20);
    assert.equal(s.postP50, 10);
    assert.equal(s.cycleP50, 530);
    assert.equal(s.pollsP50, 3);
    assert.equal(s.errors, 0);
    assert.deepEqual(s.failed, { grant: 0, post: 0, notVisible: 0 });
    assert.equal(s.errorSample, undefined);
  });

  it('counts failures by the step that failed, and keeps them out of the rate and latency', () => {
    const records = [
      seen(0, 200),
      { itemId: 'item-1', outcome: /** @type {const} */ ('grant'), grantMs: 5, error: '429 {"message":"pending"}' },
      { itemId: 'item-0', imageId: 'img-2', outcome: /** @type {const} */ ('post'), grantMs: 5, postMs: 3, error: '403 AccessDenied' },
      { itemId: 'item-1', imageId: 'img-3', outcome: /** @type {const} */ ('not-visible'), grantMs: 5, postMs: 3, storedAt: 10, polls: 90, error: 'not on the item' },
    ];
    const s = summariseUploads(records, run);
    assert.equal(s.visible, 1);
    assert.equal(s.uploadsPerSecond, 0.5);
    assert.equal(s.visibleMax, 200);
    assert.equal(s.errors, 3);
    assert.deepEqual(s.failed, { grant: 1, post: 1, notVisible: 1 });
    assert.match(/** @type {string} */ (s.errorSample), /^grant: 429/);
  });

  it('has no figures, not zeros, when nothing was seen', () => {
    const s = summariseUploads([], { ...run, wallMs: 0 });
    assert.ok(Number.isNaN(s.uploadsPerSecond) && Number.isNaN(s.visibleP50) && Number.isNaN(s.visibleMax));
  });
});

/** Results as the bench leaves them after `--only images`. @param {Record<string, any>} [over] */
const results = (over = {}) => ({
  config: { mode: 'smoke', levels: [1], only: 'images', phases: ['images'], images: { uploads: 5, items: 2, concurrency: 2, ceilingPuts: 40 }, pipeline: { orders: 20, items: 5 }, paced: { durationS: 5 } },
  ceilings: { http: [], getItem: [], transaction: [] },
  gateway: { getItem: [], postOrders: [] },
  writesPerOrder: 2,
  cpu: { phases: [] },
  failures: [],
  images: {
    ...summariseUploads(Array.from({ length: 5 }, (_, i) => seen(i, 300 + 100 * i)), { wallMs: 2_500, concurrency: 2, items: 2, bytes: 3_137, pollMs: 50 }),
    warmup: { uploads: 2, visible: 2, maxVisibleMs: 900 },
    ceiling: { concurrency: 2, connections: 2, count: 40, puts: 40, bytes: 3_137, rps: 200, p50: 10, p95: 15, p99: 18, max: 20, wallMs: 200, errors: 0 },
  },
  ...over,
});

describe('imagesRows', () => {
  it('sets the uploads beside the raw PutObject ceiling of the same run: rate, latency and their ratios', () => {
    const rows = imagesRows(results());
    assert.deepEqual(rows.map((row) => [row.id, row.section]), [['s3-put-ceiling@2', 1], ['images', 4], ['images-latency', 4]]);
    const [ceiling, rate, latency] = /** @type {import('@platform/bench/lib/table').Row[]} */ (rows);
    assert.equal(ceiling?.value, '200/s');
    assert.equal(ceiling?.load, '40 × 3.1 KB, 2 conc');
    assert.equal(ceiling?.errors, '0');
    assert.equal(rate?.value, '2.0/s');
    assert.equal(rate?.ceiling, 'raw PutObject 200/s at 2');
    assert.equal(rate?.ratio, '1%');
    assert.equal(rate?.p50, '500 ms');
    assert.equal(rate?.errors, '0');
    assert.equal(rate?.data.ratioToPutCeiling, 0.01);
    assert.equal(latency?.value, 'p50 500 ms · p95 700 ms · max 700 ms');
    assert.equal(latency?.ceiling, 'raw PutObject p50 10.0 ms at 2');
    assert.equal(latency?.ratio, 'p50 50×');
    assert.equal(latency?.data.ratioToPutP50, 50);
  });

  it('are among the scenario\'s rows', () => {
    assert.deepEqual(buildRows(results()).map((row) => row.id), ['s3-put-ceiling@2', 'images', 'images-latency']);
  });

  it('are absent when the phase did not run, and read — when it failed', () => {
    assert.deepEqual(imagesRows(results({ config: { ...results().config, only: 'get', phases: ['get'] } })), []);
    const failed = imagesRows(results({ images: undefined, failures: [{ phase: 'images', error: 'boom' }] }));
    assert.deepEqual(failed.map((row) => row.id), ['s3-put-ceiling@2', 'images', 'images-latency']);
    for (const row of failed) assert.ok(row.value === '—' || row.value === '—/s', `${row.id}: ${row.value}`);
    assert.equal(failed[1]?.ratio, '—');
  });

  it('say which step failed', () => {
    const r = results();
    r.images = { ...r.images, errors: 2, failed: { grant: 0, post: 1, notVisible: 1 }, errorSample: 'post: 403 AccessDenied' };
    assert.equal(imagesRows(r)[1]?.errors, '2 (grant 0, form POST 1, not visible 1)');
    assert.ok(imagesNotes(r, { runs: () => true }).some((note) => note.includes('2 of 5 uploads failed') && note.includes('403 AccessDenied')));
  });
});

describe('imagesNotes', () => {
  it('say how the uploads were measured and what the ratios mean', () => {
    const notes = imagesNotes(results(), { runs: (name) => name === 'images' });
    assert.equal(notes.length, 2);
    assert.match(notes[0] ?? '', /5 uploads of one 3\.1 KB PNG by 2 closed-loop workers over 2 items/);
    assert.match(notes[0] ?? '', /every 50 ms/);
    assert.match(notes[1] ?? '', /raw PutObject of the same bytes to the same local S3 endpoint/);
    assert.match(notes[1] ?? '', /uploads\/s ≈ concurrency ÷ whole upload time/);
  });

  it('say nothing when the phase did not run', () => {
    assert.deepEqual(imagesNotes(results(), { runs: () => false }), []);
  });
});
