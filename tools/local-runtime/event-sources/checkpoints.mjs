// Where each stream event source mapping got to, kept across restarts when the
// tables are (LOCAL_PERSIST=1): in AWS a mapping keeps its position in the
// stream for as long as it exists. DynamoDB Local keeps a table's stream records
// with its data, so without this a restarted stack would read every record of
// the last 24 h again from TRIM_HORIZON and relay them all a second time.
// Per mapping (function and stream) and shard: the sequence number of the last
// record fully processed. Written to one JSON file a moment after each change
// and when the stack stops; a stack killed harder re-reads at most that moment's
// records, which Lambda's at-least-once delivery allows.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const SAVE_AFTER_MS = 500;

/**
 * @typedef {{ get(functionName: string, streamArn: string, shardId: string): string | undefined,
 *   set(functionName: string, streamArn: string, shardId: string, sequenceNumber: string): void,
 *   size(): number, flush(): void }} Checkpoints
 */

/**
 * Checkpoints kept in `file`, or only in memory without one.
 * @param {{ file?: string, log?: (line: string) => void }} [options]
 * @returns {Checkpoints}
 */
export const createCheckpoints = ({ file, log = console.log } = {}) => {
  /** @type {Record<string, Record<string, string>>} "<function> <stream ARN>" → shard id → sequence number */
  let saved = {};
  if (file && existsSync(file)) {
    try {
      saved = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      log(`cannot read the stream checkpoints in ${file} (${/** @type {Error} */ (error).message}): the streams are read from their mappings' starting position`);
    }
  }
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (!file) return;
    // Written whole, then renamed: a stack killed while writing leaves the previous file.
    writeFileSync(`${file}.tmp`, JSON.stringify(saved, null, 1));
    renameSync(`${file}.tmp`, file);
  };
  return {
    get: (functionName, streamArn, shardId) => saved[`${functionName} ${streamArn}`]?.[shardId],
    set(functionName, streamArn, shardId, sequenceNumber) {
      (saved[`${functionName} ${streamArn}`] ??= {})[shardId] = sequenceNumber;
      if (file && !timer) timer = setTimeout(flush, SAVE_AFTER_MS).unref();
    },
    size: () => Object.values(saved).reduce((count, shards) => count + Object.keys(shards).length, 0),
    flush,
  };
};
