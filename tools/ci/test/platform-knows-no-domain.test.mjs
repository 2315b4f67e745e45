// The platform knows no domain: the local runtime, the console and the DLQ tool
// (docs/ownership.md) join, show and move things by correlation id, by the entity
// keys the event contracts declare, and by AWS's own names, never by the catalog's
// or the orders' concepts. Their tests and fixtures may name them; their code may not.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { ROOT } from './workspace-copy.mjs';

const PLATFORM = ['tools/local-runtime', 'tools/console', 'tools/dlq'];
/** Today's domain words. A domain added later is the event contracts' business, never the platform's. */
const DOMAIN = /order|item|stock|reservation/i;
/** AWS's own names and messages that contain those letters (and the local runtime's recorder). */
const AWS_NAMES =
  /[rR]ecorder|[rR]eportBatchItemFailures|batchItemFailures|batch item failures?|itemIdentifier|(Get|Put|Delete|Update|ConditionCheck)Item(Command)?|getitem|(BatchGet|BatchWrite|TransactWrite|TransactGet)Item(s|Command)?|TransactItems|RequestItems|ItemCount|\bItems?\b|check the order of the fields/g;

/** @param {string} dir @returns {string[]} */
const sources = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return ['test', 'fixtures', 'node_modules'].includes(name) ? [] : sources(file);
    return /\.(mjs|cjs|js|html)$/.test(name) ? [file] : [];
  });

for (const pkg of PLATFORM) {
  it(`${pkg} names no order, item, stock or reservation outside its tests`, () => {
    const files = sources(path.join(ROOT, pkg));
    assert.ok(files.length >= 5, `${pkg}: ${files.length} source files`);
    const found = files.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, index) => (DOMAIN.test(line.replace(AWS_NAMES, '')) ? [`${path.relative(ROOT, file)}:${index + 1}: ${line.trim()}`] : [])),
    );
    assert.deepEqual(found, []);
  });
}
