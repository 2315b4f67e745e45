// The DLQ tool is platform code: it names no order, item or stock concept
// (docs/ownership.md), only queues, services and stages; its tests may.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// What AWS names may contain these letters; nothing else may.
const ALLOWED = /ReportBatchItemFailures|batchItemFailures|itemIdentifier|\bItems?\b/g;
const DOMAIN = /order|item|stock|reservation/i;

it('names no domain in dlq.mjs and lib/', () => {
  const files = ['dlq.mjs', ...readdirSync(path.join(ROOT, 'lib')).filter((name) => name.endsWith('.mjs')).map((name) => `lib/${name}`)];
  assert.ok(files.length >= 5, files.join(', '));
  const found = files.flatMap((file) =>
    readFileSync(path.join(ROOT, file), 'utf8')
      .split('\n')
      .flatMap((line, index) => (DOMAIN.test(line.replace(ALLOWED, '')) ? [`${file}:${index + 1}: ${line.trim()}`] : [])),
  );
  assert.deepEqual(found, []);
});
