#!/usr/bin/env node
// Prints how long each task of one or more Nx runs took, longest first, from the
// profiles Nx writes when NX_PROFILE names a file (one trace event per task). `npm test`
// prints it after every run, so a slow target shows up where it is added.
import { existsSync, readFileSync } from 'node:fs';

const files = process.argv.slice(2).filter((file) => existsSync(file));
if (files.length === 0) {
  console.error(`No Nx profile at ${process.argv.slice(2).join(', ') || '(none given)'}: run with NX_PROFILE=<file>.`);
  process.exit(0);
}
/** @type {{ name: string, ph: string, dur?: number, args?: { status?: string } }[]} */
const events = files.flatMap((file) => JSON.parse(readFileSync(file, 'utf8')));
const tasks = events.filter((event) => event.ph === 'X' && typeof event.dur === 'number').sort((a, b) => (b.dur ?? 0) - (a.dur ?? 0));
const seconds = (/** @type {number} */ us) => (us / 1e6).toFixed(1).padStart(6);
const width = Math.max(4, ...tasks.map((task) => task.name.length));
console.log(`\nTask times (${tasks.length} tasks, longest first):`);
for (const task of tasks) console.log(`  ${task.name.padEnd(width)} ${seconds(task.dur ?? 0)} s  ${task.args?.status ?? ''}`);
