// One owner per project, said the same way in three places: the project's
// scope:* tag, tools/ownership/teams.json, and .github/CODEOWNERS. A co-owned
// folder (teams.json coOwned) lists every co-owning team in CODEOWNERS.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from './workspace-copy.mjs';

/** @typedef {{ scopes: Record<string, string>, coOwned?: Record<string, string[]> }} Teams scope → GitHub team; co-owned folder → scopes */
/** @typedef {{ dir: string, tags: string[] }} Project a project.json, as far as read here, and its folder */

const { scopes, coOwned = {} } = /** @type {Teams} */ (JSON.parse(readFileSync(path.join(ROOT, 'tools/ownership/teams.json'), 'utf8')));
const codeowners = readFileSync(path.join(ROOT, '.github/CODEOWNERS'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'))
  .map((line) => /** @type {[pattern: string, ...owners: string[]]} */ (line.split(/\s+/)));

/** The owners GitHub gives a path: the last matching CODEOWNERS rule wins. @param {string} dir @returns {string[]} */
const ownersOf = (dir) => codeowners.filter(([pattern]) => pattern === '*' || `/${dir}/`.startsWith(pattern)).pop()?.slice(1) ?? [];

const TYPE_BY_GROUP = { libs: ['type:lib', 'type:testing'], services: ['type:service'], infra: ['type:infra'], tools: ['type:tool', 'type:local'], 'system-tests': ['type:system-tests'] };
const projectDirs = Object.keys(TYPE_BY_GROUP).flatMap((group) =>
  existsSync(path.join(ROOT, group, 'project.json'))
    ? [group]
    : readdirSync(path.join(ROOT, group))
        .map((name) => `${group}/${name}`)
        .filter((dir) => existsSync(path.join(ROOT, dir, 'project.json'))),
);
/** @type {Project[]} */
const projects = projectDirs.map((dir) => ({ dir, ...JSON.parse(readFileSync(path.join(ROOT, dir, 'project.json'), 'utf8')) }));

describe('ownership', () => {
  it('finds every project folder', () => assert.ok(projects.length >= 20, projectDirs.join(', ')));

  for (const project of projects) {
    it(`${project.dir} has one scope, one type, a known team, and that team in CODEOWNERS`, () => {
      const scopeTags = project.tags.filter((tag) => tag.startsWith('scope:'));
      assert.equal(scopeTags.length, 1, `${project.dir} tags: ${project.tags.join(', ')}`);
      const typeTags = project.tags.filter((tag) => tag.startsWith('type:'));
      const allowed = TYPE_BY_GROUP[/** @type {keyof typeof TYPE_BY_GROUP} a group projectDirs came from */ (project.dir.split('/')[0])];
      assert.ok(typeTags.length === 1 && allowed.includes(/** @type {string} length 1 */ (typeTags[0])), `${project.dir} has ${typeTags.join(', ') || 'no type tag'}, expected one of ${allowed.join(', ')}`);
      const team = scopes[/** @type {string} asserted one above */ (scopeTags[0]).slice('scope:'.length)];
      assert.ok(team, `${scopeTags[0]} is not in tools/ownership/teams.json`);
      const expected = coOwned[project.dir] ? /** @type {string[]} */ (coOwned[project.dir]).map((scope) => scopes[scope]) : [team];
      assert.deepEqual(ownersOf(project.dir).sort(), expected.sort(), `CODEOWNERS gives ${project.dir} to ${ownersOf(project.dir).join(' ')}`);
    });
  }
});
