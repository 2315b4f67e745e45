// One owner per project, said the same way in three places: the project's
// scope:* tag, tools/ownership/teams.json, and .github/CODEOWNERS.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from './workspace-copy.mjs';

const { scopes } = JSON.parse(readFileSync(path.join(ROOT, 'tools/ownership/teams.json'), 'utf8'));
const codeowners = readFileSync(path.join(ROOT, '.github/CODEOWNERS'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'))
  .map((line) => line.split(/\s+/));

/** The owner GitHub gives a path: the last matching CODEOWNERS rule wins. */
const ownerOf = (dir) => {
  const match = codeowners.filter(([pattern]) => pattern === '*' || `/${dir}/`.startsWith(pattern)).pop();
  return match?.[1];
};

const projects = ['libs', 'services'].flatMap((group) =>
  readdirSync(path.join(ROOT, group))
    .filter((name) => existsSync(path.join(ROOT, group, name, 'project.json')))
    .map((name) => ({ dir: `${group}/${name}`, ...JSON.parse(readFileSync(path.join(ROOT, group, name, 'project.json'), 'utf8')) })),
);

describe('ownership', () => {
  for (const project of projects) {
    it(`${project.dir} has one scope, a known team, and that team in CODEOWNERS`, () => {
      const scopeTags = project.tags.filter((tag) => tag.startsWith('scope:'));
      assert.equal(scopeTags.length, 1, `${project.dir} tags: ${project.tags.join(', ')}`);
      const type = project.dir.startsWith('services/') ? 'type:service' : 'type:lib';
      assert.ok(project.tags.includes(type), `${project.dir} lacks ${type}`);
      const team = scopes[scopeTags[0].slice('scope:'.length)];
      assert.ok(team, `${scopeTags[0]} is not in tools/ownership/teams.json`);
      assert.equal(ownerOf(project.dir), team, `CODEOWNERS gives ${project.dir} to ${ownerOf(project.dir)}, its tag to ${team}`);
    });
  }
});
