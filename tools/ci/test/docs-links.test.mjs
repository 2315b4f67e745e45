// The README and docs/ point into a repository whose folders move: every
// relative link must still land on a file or folder, and a link to a heading
// (`page.md#some-heading`) on a heading GitHub would give that slug. The
// README stays short; reference material belongs in docs/.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const README_MAX_LINES = 220;

/** @param {string} dir @returns {string[]} */
const markdownUnder = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return markdownUnder(full);
    return entry.isFile() && entry.name.endsWith('.md') ? [full] : [];
  });

const pages = [path.join(ROOT, 'README.md'), ...(existsSync(path.join(ROOT, 'docs')) ? markdownUnder(path.join(ROOT, 'docs')) : [])];
const relative = (/** @type {string} */ file) => path.relative(ROOT, file);

/** @typedef {{ target: string, line: number }} Link a link's target, and the line it is on */

/** The text outside fenced code blocks, line by line (code shows links, it does not make them). @param {string} text @returns {string[]} */
const proseLines = (text) => {
  /** @type {string | null} the opening marker of the fence we are in */
  let fence = null;
  return text.split('\n').map((line) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length) fence = null;
      return '';
    }
    if (marker) {
      fence = marker;
      return '';
    }
    return line;
  });
};

const withoutCodeSpans = (/** @type {string} */ line) => line.replace(/(`+)[\s\S]*?\1/g, '');

/** Targets of inline links and images, reference definitions, and <img src>. @param {string} text @returns {Link[]} */
const linksIn = (text) =>
  proseLines(text).flatMap((line, index) => {
    const prose = withoutCodeSpans(line);
    const targets = /** @type {string[]} each pattern's group 1 always takes part in a match */ ([
      ...[...prose.matchAll(/\]\(\s*<([^>]*)>[^)]*\)/g)].map((m) => m[1]),
      ...[...prose.matchAll(/\]\(\s*([^\s)<][^\s)]*)(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g)].map((m) => m[1]),
      ...[...prose.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/g)].map((m) => m[1]),
      ...[...prose.matchAll(/<img\b[^>]*?\bsrc\s*=\s*["']([^"']+)["']/gi)].map((m) => m[1]),
    ]);
    return targets.map((target) => ({ target, line: index + 1 }));
  });

const isExternal = (/** @type {string} */ target) => /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');

/** The anchor GitHub gives a heading: rendered text, lower-cased, punctuation dropped, spaces to hyphens. @param {string} heading @returns {string} */
const githubSlug = (heading) =>
  heading
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/`/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');

/** Every anchor a page offers: its headings' slugs (repeats get -1, -2, …) and explicit ids. @param {string} text @returns {Set<string>} */
const anchorsOf = (text) => {
  /** @type {Set<string>} */
  const anchors = new Set();
  /** @type {Map<string, number>} slug → headings with it so far */
  const seen = new Map();
  for (const line of proseLines(text)) {
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const slug = githubSlug(/** @type {string} the group always takes part */ (heading[1]));
      const count = seen.get(slug) ?? 0;
      seen.set(slug, count + 1);
      anchors.add(count === 0 ? slug : `${slug}-${count}`);
    }
    for (const m of line.matchAll(/<a\b[^>]*?\b(?:name|id)\s*=\s*["']([^"']+)["']/gi)) anchors.add(/** @type {string} */ (m[1]));
  }
  return anchors;
};

/** @type {Map<string, Set<string>>} */
const anchorCache = new Map();
/** @param {string} file @returns {Set<string>} */
const anchorsOfFile = (file) => {
  if (!anchorCache.has(file)) anchorCache.set(file, anchorsOf(readFileSync(file, 'utf8')));
  return /** @type {Set<string>} set just above if it was not there */ (anchorCache.get(file));
};

/** What is wrong with one link of `page`, or undefined. @param {string} page @param {Link} link @returns {string | undefined} */
const problemWith = (page, { target, line }) => {
  const where = `${relative(page)}:${line}: [${target}]`;
  const hash = target.indexOf('#');
  const rawPath = hash === -1 ? target : target.slice(0, hash);
  const fragment = hash === -1 ? '' : target.slice(hash + 1);
  let linkPath;
  try {
    linkPath = decodeURIComponent(/** @type {string} split returns at least one part */ (rawPath.split('?')[0]));
  } catch {
    return `${where} is not a valid URL path`;
  }

  const resolved = linkPath === '' ? page : linkPath.startsWith('/') ? path.join(ROOT, linkPath) : path.resolve(path.dirname(page), linkPath);
  if (!existsSync(resolved)) return `${where} points to ${relative(resolved) || '.'}, which does not exist`;
  if (fragment && resolved.endsWith('.md') && statSync(resolved).isFile()) {
    const anchor = decodeURIComponent(fragment).toLowerCase();
    if (!anchorsOfFile(resolved).has(anchor)) return `${where} names #${fragment}, but ${relative(resolved)} has no heading with that anchor`;
  }
  return undefined;
};

describe('docs links', () => {
  for (const page of pages) {
    test(`${relative(page)}: every relative link resolves`, () => {
      const problems = linksIn(readFileSync(page, 'utf8'))
        .filter(({ target }) => !isExternal(target) && !target.startsWith('#'))
        .map((link) => problemWith(page, link))
        .filter(Boolean);
      assert.deepEqual(problems, [], `broken links in ${relative(page)}:\n  ${problems.join('\n  ')}`);
    });

    test(`${relative(page)}: every in-page anchor names a heading`, () => {
      const problems = linksIn(readFileSync(page, 'utf8'))
        .filter(({ target }) => target.startsWith('#') && target.length > 1)
        .map((link) => problemWith(page, link))
        .filter(Boolean);
      assert.deepEqual(problems, [], `broken anchors in ${relative(page)}:\n  ${problems.join('\n  ')}`);
    });
  }

  test(`README.md has at most ${README_MAX_LINES} lines`, () => {
    const text = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const lines = text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length;
    assert.ok(lines <= README_MAX_LINES, `README.md has ${lines} lines; keep it at most ${README_MAX_LINES} and move reference material to docs/`);
  });
});

describe('the link checker itself', () => {
  test('finds inline links, images, reference definitions and <img src>, not links in code', () => {
    const text = [
      'See [a](docs/a.md#part "title") and ![pic](img.png).',
      '<img alt="x" src="docs/b.png">',
      '[ref]: ./c.md',
      '`[not](a-link.md)`',
      '```',
      '[not](in-a-fence.md)',
      '```',
    ].join('\n');
    assert.deepEqual(
      linksIn(text).map(({ target }) => target),
      ['docs/a.md#part', 'img.png', 'docs/b.png', './c.md'],
    );
  });

  test('slugs headings as GitHub does', () => {
    assert.equal(githubSlug('DLQ runbook: `npm run dlq`'), 'dlq-runbook-npm-run-dlq');
    assert.equal(githubSlug('What `npm start` does'), 'what-npm-start-does');
    assert.equal(githubSlug('0001. osls instead of Serverless Framework v4'), '0001-osls-instead-of-serverless-framework-v4');
    assert.equal(githubSlug('Local IAM & [links](x.md)'), 'local-iam--links');
    assert.deepEqual([...anchorsOf('# A\n## A\n<a id="custom"></a>')], ['a', 'a-1', 'custom']);
  });
});
