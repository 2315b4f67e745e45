// Whether a refused write changed a table: the scenario names its tables and
// projects their rows onto what only an HTTP request can change (leaving out
// what the system changes on its own meanwhile); the runner snapshots them
// before and after each refused write and compares.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { scanTable } from '@platform/testing/scan-table';

/**
 * The projected rows of each table, by the scenario's name for it. Rows are keyed by `pk` and `sk`.
 * @typedef {Record<string, Record<string, any>[]>} Snapshot
 *
 * @typedef {object} Snapshotter
 * @property {(model: any) => Promise<Snapshot>} snapshot
 * @property {() => void} close
 */

/**
 * Reads the tables, consistently, and projects them.
 * @param {{ endpoint: string, tables: Record<string, string>, project: (rows: Record<string, Record<string, any>[]>, model: any) => Snapshot }} options
 *   tables: the table names by the scenario's name for them; project: the rows of every table, read at once, to a Snapshot
 * @returns {Snapshotter}
 */
export const createTableSnapshotter = ({ endpoint, tables, project }) => {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 5 });
  /** @param {any} model */
  const snapshot = async (model) => {
    const entries = Object.entries(tables);
    const rows = await Promise.all(entries.map(([, table]) => scanTable(client, table)));
    return project(Object.fromEntries(entries.map(([name], index) => [name, rows[index] ?? []])), model);
  };
  return { snapshot, close: () => client.destroy() };
};

/**
 * What changed between two snapshots, in words (at most a few rows), or undefined.
 * @param {Snapshot} before @param {Snapshot} after
 */
export const describeChange = (before, after) => {
  const changes = [];
  for (const table of Object.keys({ ...before, ...after })) {
    const was = new Map((before[table] ?? []).map((row) => [`${row.pk}|${row.sk}`, JSON.stringify(row)]));
    const now = new Map((after[table] ?? []).map((row) => [`${row.pk}|${row.sk}`, JSON.stringify(row)]));
    for (const [key, row] of now) {
      if (!was.has(key)) changes.push(`${table}: new row ${key}: ${row.slice(0, 300)}`);
      else if (was.get(key) !== row) changes.push(`${table}: row ${key} changed: ${was.get(key)?.slice(0, 300)} → ${row.slice(0, 300)}`);
    }
    for (const key of was.keys()) if (!now.has(key)) changes.push(`${table}: row ${key} deleted`);
  }
  return changes.length === 0 ? undefined : changes.slice(0, 5).join('\n') + (changes.length > 5 ? `\n… ${changes.length - 5} more` : '');
};
