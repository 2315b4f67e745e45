#!/usr/bin/env node
// What a deploy workflow deploys, and with whose role (docs/delivery.md):
//   node tools/ci/deploy-plan.mjs [--preview] [--all]
// The projects with a `deploy` target that the change affects (`nx show
// projects --affected`, between NX_BASE and NX_HEAD as nrwl/nx-set-shas sets
// them), split into the event bus, which deploys first, and the services after
// it, each with the team that owns it (its scope:* tag): a deploy job runs in
// that team's GitHub environment (`<stage kind>-<team>`), whose role may change
// only that team's stacks (infra/bootstrap).
// --preview: a preview stage (`pr-<number>`) starts empty, so when anything is
// affected it gets the whole system, the bus first: the smoke test runs the
// order saga through every service, and a service cannot be tried without the
// bus and the services it talks to.
// --all: every deployable project, affected or not (removing a preview stage).
// Prints the plan; in GitHub Actions also writes it to $GITHUB_OUTPUT:
//   bus       JSON list of { service, team } (the bus, or nothing)
//   services  JSON list of { service, team } (the rest)
//   only      the affected projects, comma-separated (for `npm run rehearse -- --only`)
//   deploys   true when there is anything to deploy
import { execFileSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const EVENT_BUS = 'event-bus';

/**
 * @typedef {{ service: string, team: string }} Deployment
 * @param {{ affected: string[], deployable: Record<string, string[]>, preview?: boolean }} input
 *   affected: the affected projects with a deploy target; deployable: every
 *   project with a deploy target, with its tags
 * @returns {{ bus: Deployment[], services: Deployment[], only: string[] }}
 */
export const deployPlan = ({ affected, deployable, preview = false }) => {
  const unknown = affected.filter((name) => !deployable[name]);
  if (unknown.length > 0) throw new Error(`affected projects without a deploy target: ${unknown.join(', ')}`);
  const chosen = preview && affected.length > 0 ? Object.keys(deployable) : affected;
  /** @param {string} service @returns {Deployment} */
  const withTeam = (service) => {
    const scopes = (deployable[service] ?? []).filter((tag) => tag.startsWith('scope:')).map((tag) => tag.slice('scope:'.length));
    if (scopes.length !== 1) throw new Error(`${service} must have exactly one scope:* tag (its team), has ${scopes.length === 0 ? 'none' : scopes.join(', ')}`);
    return { service, team: /** @type {string} */ (scopes[0]) };
  };
  const sorted = [...new Set(chosen)].sort();
  return {
    bus: sorted.filter((name) => name === EVENT_BUS).map(withTeam),
    services: sorted.filter((name) => name !== EVENT_BUS).map(withTeam),
    only: [...affected].sort(),
  };
};

/** @param {string[]} args */
const nx = (...args) => JSON.parse(execFileSync(path.join(ROOT, 'node_modules/.bin/nx'), args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NX_DAEMON: 'false' } }));

const main = async () => {
  const preview = process.argv.includes('--preview');
  const all = process.argv.includes('--all');
  process.env.NX_DAEMON = 'false';
  const { createProjectGraphAsync } = await import('@nx/devkit');
  const graph = await createProjectGraphAsync({ exitOnError: true });
  /** @type {Record<string, string[]>} */
  const deployable = Object.fromEntries(
    Object.values(graph.nodes)
      .filter((node) => node.data.targets?.deploy)
      .map((node) => [node.name, node.data.tags ?? []]),
  );
  /** @type {string[]} */
  const affected = all ? Object.keys(deployable) : nx('show', 'projects', '--affected', '--withTarget', 'deploy', '--json');
  const plan = deployPlan({ affected, deployable, preview });
  const line = (/** @type {Deployment[]} */ list) => list.map(({ service, team }) => `${service} (${team})`).join(', ');
  console.log(`affected: ${plan.only.join(', ') || 'nothing'}`);
  const order = [plan.bus, plan.services].filter((list) => list.length > 0).map(line).join(', then ') || 'nothing';
  console.log(`deploys${preview ? ' (preview: the whole system when anything is affected)' : ''}: ${order}`);
  if (process.env.GITHUB_OUTPUT) {
    appendFileSync(
      process.env.GITHUB_OUTPUT,
      [`bus=${JSON.stringify(plan.bus)}`, `services=${JSON.stringify(plan.services)}`, `only=${plan.only.join(',')}`, `deploys=${plan.bus.length + plan.services.length > 0}`, ''].join('\n'),
    );
  }
};

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((error) => {
    console.error(`deploy-plan: ${/** @type {Error} */ (error).message}`);
    process.exit(1);
  });
}

