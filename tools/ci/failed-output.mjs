// What `npm test` prints again at its very end when a task failed: the last lines
// that task printed. Nx streams every task's output as it comes, prefixed with its
// project's name, so a failure early in a long run (the e2e chain ends minutes
// before the checks do) is buried far above the summary, and a CI log viewer that
// keeps only the tail never shows it.
import { profiledTasks } from './task-times.mjs';

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** @param {string} line */
export const plain = (line) => line.replace(ANSI, '');

/**
 * The tasks an Nx profile (NX_PROFILE's trace events) records as failed.
 * @param {string[]} profiles @returns {string[]} task names, `project:target`
 */
export const failedTasks = (profiles) =>
  profiledTasks(profiles)
    .filter((event) => event.args?.status === 'failure')
    .map((event) => event.name);

/**
 * The last `count` lines one project printed in Nx's stream output.
 * @param {string[]} lines every line of the run, as printed @param {string} project @param {number} count
 */
export const projectTail = (lines, project, count) => {
  const prefix = `${project}: `;
  return lines
    .map(plain)
    .filter((line) => line.startsWith(prefix))
    .slice(-count)
    .map((line) => line.slice(prefix.length));
};

/** Collects a child's output line by line while passing it through unchanged. */
export class LineRecorder {
  /** @type {string[]} */
  lines = [];
  #partial = '';

  /** @param {Buffer | string} chunk */
  push(chunk) {
    const parts = (this.#partial + chunk.toString()).split('\n');
    this.#partial = /** @type {string} */ (parts.pop());
    this.lines.push(...parts);
  }

  end() {
    if (this.#partial) this.lines.push(this.#partial);
    this.#partial = '';
  }
}

/**
 * @param {string[]} tasks @param {string[]} lines @param {number} count
 * @returns {string} the report, or '' when nothing failed
 */
export const failureReport = (tasks, lines, count) =>
  tasks
    .map((task) => {
      const project = task.split(':')[0];
      const tail = projectTail(lines, /** @type {string} */ (project), count);
      return [`\n━━ ${task} failed; the last ${tail.length} lines it printed ━━`, ...tail].join('\n');
    })
    .join('\n');
