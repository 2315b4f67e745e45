// Item images under load (issue #20): each upload is what a client does —
// ask items-api for a form (POST /items/{id}/image-uploads, a staff token),
// POST the file with it straight to storage (multipart/form-data: every field
// of the form, then `file`, last), then read the item (GET /items/{id}) until
// its image is this upload's — and beside it the storage's own ceiling, raw
// PutObject calls of the same bytes at the same concurrency (the engine's
// s3-ceiling.mjs), measured in the same run.
//
// Each worker owns its own items and uploads to one of them at a time, waiting
// until the image is visible before its next upload: an item never has more
// than one upload pending (the API allows 3), and no upload is superseded by a
// later grant to the same item before it could be seen (a later grant's image
// wins, so an earlier one processed after it would never show).
import { deflateSync } from 'node:zlib';
import { DEFAULT_REGION, LOCAL_ACCOUNT_ID } from '@platform/local-runtime/aws';
import { createAgent, request } from '@platform/bench/lib/http-client';
import { percentile, sleep } from '@platform/bench/lib/stats';
import { createRandom } from '@platform/bench/lib/random';

/** items-api's image bucket on the local stage (its stack's name, the account, the region). */
export const IMAGES_BUCKET = `items-api-local-images-${LOCAL_ACCOUNT_ID}-${DEFAULT_REGION}`;
/** Where the ceiling's raw puts go: outside uploads/, so no notification fires for them. */
export const CEILING_PREFIX = 'bench/';

/** @type {number[]} */
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 as PNG chunks carry it. @param {Uint8Array} bytes */
export const crc32 = (bytes) => {
  let c = 0xffffffff;
  for (const byte of bytes) c = /** @type {number} */ (CRC_TABLE[(c ^ byte) & 0xff]) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};

/** One PNG chunk: length, type, data, CRC of type + data. @param {string} type @param {Buffer} data */
const chunk = (type, data) => {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
};

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * A small valid PNG: `side`×`side` RGB of seeded noise (noise does not
 * compress, so the file stays about 3 × side² bytes: 32 → about 3 KB).
 * The same seed gives the same bytes.
 * @param {{ side?: number, seed?: number }} [options]
 */
export const benchPng = ({ side = 32, seed = 20 } = {}) => {
  const random = createRandom(seed);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  // compression, filter, interlace: 0
  const raw = Buffer.alloc(side * (1 + side * 3));
  for (let row = 0; row < side; row += 1) {
    const at = row * (1 + side * 3);
    raw[at] = 0; // filter: none
    for (let i = 1; i <= side * 3; i += 1) raw[at + i] = random.int(0, 255);
  }
  return new Uint8Array(Buffer.concat([PNG_SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]));
};

/**
 * @typedef {object} UploadRecord  one upload, as the bench saw it (times in ms from the run's start)
 * @property {string} itemId
 * @property {string} [imageId]
 * @property {'visible' | 'grant' | 'post' | 'not-visible'} outcome  visible, or the step that failed
 * @property {number} [grantMs]  POST /image-uploads → 201
 * @property {number} [postMs]  the form POST → storage's 2xx
 * @property {number} [storedAt]  when storage answered 2xx
 * @property {number} [visibleMs]  storage's 2xx → the first GET /items/{id} answer whose image is this upload
 * @property {number} [polls]  GETs it took
 * @property {number} [endedAt]  when it was seen (or given up on)
 * @property {string} [error]
 */

/**
 * The figures of a run of uploads, from its records (pure: the report's tests use it).
 * @param {UploadRecord[]} records @param {{ wallMs: number, concurrency: number, items: number, bytes: number, pollMs: number }} run
 */
export const summariseUploads = (records, { wallMs, concurrency, items, bytes, pollMs }) => {
  const visible = records.filter((r) => r.outcome === 'visible');
  const latencies = visible.map((r) => /** @type {number} */ (r.visibleMs));
  const posts = records.filter((r) => r.postMs !== undefined).map((r) => /** @type {number} */ (r.postMs));
  const grants = records.filter((r) => r.grantMs !== undefined).map((r) => /** @type {number} */ (r.grantMs));
  const cycles = visible.map((r) => /** @type {number} */ (r.grantMs) + /** @type {number} */ (r.postMs) + /** @type {number} */ (r.visibleMs));
  const failed = (/** @type {UploadRecord['outcome']} */ outcome) => records.filter((r) => r.outcome === outcome).length;
  const failures = records.filter((r) => r.outcome !== 'visible');
  return {
    uploads: records.length,
    visible: visible.length,
    concurrency,
    items,
    bytes,
    pollMs,
    wallMs,
    /** Uploads seen on their item per second, over the whole run (first grant → last seen). */
    uploadsPerSecond: wallMs > 0 ? visible.length / (wallMs / 1000) : Number.NaN,
    visibleP50: percentile(latencies, 50),
    visibleP95: percentile(latencies, 95),
    visibleP99: percentile(latencies, 99),
    visibleMax: latencies.length > 0 ? Math.max(...latencies) : Number.NaN,
    grantP50: percentile(grants, 50),
    postP50: percentile(posts, 50),
    postP95: percentile(posts, 95),
    cycleP50: percentile(cycles, 50),
    pollsP50: percentile(visible.map((r) => /** @type {number} */ (r.polls)), 50),
    errors: failures.length,
    failed: { grant: failed('grant'), post: failed('post'), notVisible: failed('not-visible') },
    ...(failures[0] && { errorSample: `${failures[0].outcome}: ${failures[0].error ?? '—'}`.slice(0, 300) }),
  };
};

/** @typedef {ReturnType<typeof summariseUploads>} UploadsSummary */

/**
 * Which items each of `concurrency` workers owns: item i goes to worker i mod concurrency.
 * @template T @param {T[]} itemIds @param {number} concurrency @returns {T[][]}
 */
export const itemsByWorker = (itemIds, concurrency) => {
  if (itemIds.length < concurrency) throw new Error(`${concurrency} workers need at least as many items, got ${itemIds.length}`);
  return Array.from({ length: concurrency }, (_, worker) => itemIds.filter((_, i) => i % concurrency === worker));
};

/**
 * One upload as a client makes it: the form, the file, then the item until it shows the image.
 * @param {{ apiUrl: string, itemId: string, png: Uint8Array, staff: Record<string, string>, agent: import('node:http').Agent,
 *   pollMs: number, visibleTimeoutMs: number, clock: () => number }} options
 * @returns {Promise<UploadRecord>}
 */
export const uploadOnce = async ({ apiUrl, itemId, png, staff, agent, pollMs, visibleTimeoutMs, clock }) => {
  const t0 = clock();
  const granted = await request({ baseUrl: apiUrl, method: 'POST', path: `/items/${itemId}/image-uploads`, body: { contentType: 'image/png' }, headers: staff, agent });
  const grantMs = clock() - t0;
  const grant = granted.json;
  if (granted.status !== 201 || typeof grant?.imageId !== 'string' || typeof grant?.upload?.url !== 'string') {
    return { itemId, outcome: 'grant', grantMs, error: `${granted.status} ${granted.error ?? granted.text.slice(0, 200)}` };
  }
  const { imageId, upload } = grant;

  const form = new FormData();
  for (const [name, value] of Object.entries(/** @type {Record<string, string>} */ (upload.fields))) form.append(name, value);
  form.append('file', new Blob([png], { type: 'image/png' }), 'bench.png');
  const t1 = clock();
  /** @type {number} */
  let status;
  /** @type {string} */
  let text;
  try {
    const answer = await fetch(upload.url, { method: 'POST', body: form, signal: AbortSignal.timeout(30_000) });
    status = answer.status;
    text = await answer.text();
  } catch (error) {
    return { itemId, imageId, outcome: 'post', grantMs, error: /** @type {Error} */ (error).message };
  }
  const storedAt = clock();
  const postMs = storedAt - t1;
  if (status < 200 || status >= 300) return { itemId, imageId, outcome: 'post', grantMs, postMs, error: `${status} ${text.slice(0, 200)}` };

  // The item, until its image is this upload (its URL names the image id).
  let polls = 0;
  let last = '';
  while (clock() - storedAt < visibleTimeoutMs) {
    polls += 1;
    const read = await request({ baseUrl: apiUrl, method: 'GET', path: `/items/${itemId}`, agent });
    const url = read.json?.image?.url;
    if (read.status === 200 && typeof url === 'string' && url.includes(imageId)) {
      const endedAt = clock();
      return { itemId, imageId, outcome: 'visible', grantMs, postMs, storedAt, visibleMs: endedAt - storedAt, polls, endedAt };
    }
    last = read.status === 200 ? `image ${JSON.stringify(read.json?.image ?? null).slice(0, 120)}` : `${read.status} ${read.error ?? read.text.slice(0, 120)}`;
    await sleep(pollMs);
  }
  return { itemId, imageId, outcome: 'not-visible', grantMs, postMs, storedAt, polls, endedAt: clock(), error: `not on the item ${visibleTimeoutMs} ms after storage took it (last GET: ${last})` };
};

/**
 * `uploads` uploads by `concurrency` closed-loop workers, each over its own
 * items; after `warmup` untimed ones (one round per worker warms each function).
 * @param {{ apiUrl: string, itemIds: string[], staff: Record<string, string>, png: Uint8Array,
 *   uploads: number, concurrency: number, warmup?: number, pollMs: number, visibleTimeoutMs: number,
 *   onProgress?: (detail: string) => void, onStart?: () => void, onUpload?: () => void }} options
 */
export const runImageUploads = async ({ apiUrl, itemIds, staff, png, uploads, concurrency, warmup = concurrency, pollMs, visibleTimeoutMs, onProgress, onStart, onUpload }) => {
  const agent = createAgent();
  const owned = itemsByWorker(itemIds, concurrency);
  const started = performance.now();
  const clock = () => performance.now() - started;
  /** @param {number} total @param {(record: UploadRecord) => void} [each] */
  const round = async (total, each) => {
    /** @type {UploadRecord[]} */
    const records = [];
    let next = 0;
    await Promise.all(
      owned.map(async (mine) => {
        for (let turn = 0, i = next++; i < total; turn += 1, i = next++) {
          const record = await uploadOnce({ apiUrl, itemId: /** @type {string} */ (mine[turn % mine.length]), png, staff, agent, pollMs, visibleTimeoutMs, clock });
          records.push(record);
          each?.(record);
        }
      }),
    );
    return records;
  };
  try {
    onProgress?.(`warm-up: ${warmup} uploads`);
    const warm = await round(warmup);
    onStart?.();
    const t0 = clock();
    let done = 0;
    const records = await round(uploads, () => {
      done += 1;
      onUpload?.();
      if (done % 5 === 0 || done === uploads) onProgress?.(`${done}/${uploads} uploads seen on their item`);
    });
    const wallMs = clock() - t0;
    return {
      ...summariseUploads(records, { wallMs, concurrency, items: itemIds.length, bytes: png.length, pollMs }),
      warmup: { uploads: warm.length, visible: warm.filter((r) => r.outcome === 'visible').length, maxVisibleMs: Math.max(...warm.map((r) => r.visibleMs ?? Number.NaN)) },
    };
  } finally {
    agent.destroy();
  }
};
