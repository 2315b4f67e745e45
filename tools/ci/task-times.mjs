// How long each task of one or more Nx runs took, from the profiles Nx writes when
// NX_PROFILE names a file (one trace event per task). `npm test` prints the table
// after every run, so a slow target shows up where it is added, and reads the
// failed tasks from the same events (failed-output.mjs).
import { existsSync, readFileSync } from 'node:fs';

/** @typedef {{ name: string, ph: string, dur?: number, args?: { status?: string } }} ProfiledTask */

/**
 * Every task the profiles record; a profile never written (its run did not start) is skipped.
 * @param {string[]} files @returns {ProfiledTask[]}
 */
export const profiledTasks = (files) =>
  files
    .filter((file) => existsSync(file))
    .flatMap((file) => /** @type {ProfiledTask[]} */ (JSON.parse(readFileSync(file, 'utf8'))))
    .filter((event) => event.ph === 'X');

/** @param {ProfiledTask[]} tasks @returns {string} the table, longest first */
export const taskTimesTable = (tasks) => {
  const timed = tasks.filter((task) => typeof task.dur === 'number').sort((a, b) => (b.dur ?? 0) - (a.dur ?? 0));
  const seconds = (/** @type {number} */ us) => (us / 1e6).toFixed(1).padStart(6);
  const width = Math.max(4, ...timed.map((task) => task.name.length));
  return [`\nTask times (${timed.length} tasks, longest first):`, ...timed.map((task) => `  ${task.name.padEnd(width)} ${seconds(task.dur ?? 0)} s  ${task.args?.status ?? ''}`)].join('\n');
};
