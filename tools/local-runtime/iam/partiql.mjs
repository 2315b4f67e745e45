// A PartiQL statement (ExecuteStatement, BatchExecuteStatement,
// ExecuteTransaction) in IAM's terms: the action of its verb on the one table
// (or index) it names. Only the plain shapes DynamoDB documents are read:
//   SELECT <projection> FROM "table"[."index"] [WHERE …]
//   INSERT INTO "table" VALUE {…}
//   UPDATE "table" SET|REMOVE …
//   DELETE FROM "table" [WHERE …]
// with the table (and index) double-quoted. Anything else cannot be classified
// exactly, and the layer refuses it rather than guess: a comment (which hides
// words from a naive reader: `/* c */ DELETE …`, `SELECT * /* FROM "a" */ FROM "b"`),
// a second FROM/INTO or verb (subqueries, EXISTS), an unquoted or odd table
// name, a `;`, a character the grammar has no use for.

/** @typedef {{ kind: 'word' | 'identifier' | 'string' | 'number' | 'symbol', text: string }} Token */
/** @typedef {{ action: string, table: string, index?: string } | { unclassifiable: string }} Classified */

/** @type {Record<string, string>} */
const ACTIONS = { SELECT: 'PartiQLSelect', INSERT: 'PartiQLInsert', UPDATE: 'PartiQLUpdate', DELETE: 'PartiQLDelete' };
// Words that start a statement or name a table: outside their one place in the shapes above, each means a shape not read here.
const KEYWORDS = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'FROM', 'INTO', 'EXISTS', 'UNION', 'INTERSECT', 'EXCEPT', 'JOIN']);
// Punctuation of expressions, values and documents; any other character is refused.
const SYMBOLS = new Set(['*', ',', '.', '=', '<', '>', '!', '(', ')', '[', ']', '{', '}', ':', '?', '+', '-', '/', '%', '|']);
// A DynamoDB table or index name.
const NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/**
 * The statement's tokens, or why it has none this reader trusts.
 * @param {string} statement
 * @returns {Token[] | string}
 */
const tokenize = (statement) => {
  /** @type {Token[]} */
  const tokens = [];
  let at = 0;
  while (at < statement.length) {
    const char = /** @type {string} */ (statement[at]);
    if (' \t\r\n'.includes(char)) {
      at += 1;
      continue;
    }
    if (statement.startsWith('--', at) || statement.startsWith('/*', at)) return 'a comment';
    if (char === "'" || char === '"') {
      // A quote doubled inside is the quote itself ('it''s', "a""b").
      let text = '';
      let end = at + 1;
      for (;;) {
        if (end >= statement.length) return 'an unterminated quote';
        if (statement[end] === char && statement[end + 1] === char) {
          text += char;
          end += 2;
        } else if (statement[end] === char) break;
        else text += statement[end++];
      }
      tokens.push({ kind: char === '"' ? 'identifier' : 'string', text });
      at = end + 1;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(statement.slice(at))?.[0] ?? /^[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(statement.slice(at))?.[0];
    if (word) {
      tokens.push({ kind: /^[0-9]/.test(word) ? 'number' : 'word', text: word });
      at += word.length;
      continue;
    }
    if (!SYMBOLS.has(char)) return `the character ${JSON.stringify(char)}`;
    tokens.push({ kind: 'symbol', text: char });
    at += 1;
  }
  return tokens;
};

/** @param {Token | undefined} token @param {string} word */
const isWord = (token, word) => token?.kind === 'word' && token.text.toUpperCase() === word;

/**
 * @param {unknown} statement
 * @returns {Classified}
 */
export const classifyPartiql = (statement) => {
  if (typeof statement !== 'string') return { unclassifiable: 'no statement' };
  const tokens = tokenize(statement);
  if (typeof tokens === 'string') return { unclassifiable: tokens };
  const verb = tokens[0]?.kind === 'word' ? tokens[0].text.toUpperCase() : '';
  const action = ACTIONS[verb];
  if (!action) return { unclassifiable: `it starts with ${tokens[0] ? JSON.stringify(tokens[0].text) : 'nothing'}, not SELECT, INSERT, UPDATE or DELETE` };

  // Where the table is, and the word the shape needs before it (FROM, INTO) or after it (SET / REMOVE).
  /** @type {number} */
  let tableAt;
  if (verb === 'SELECT') {
    const froms = tokens.flatMap((token, index) => (isWord(token, 'FROM') ? [index] : []));
    if (froms.length !== 1) return { unclassifiable: `${froms.length} FROMs` };
    tableAt = /** @type {number} */ (froms[0]) + 1;
  } else if (verb === 'UPDATE') {
    tableAt = 1;
    if (!isWord(tokens[2], 'SET') && !isWord(tokens[2], 'REMOVE')) return { unclassifiable: 'UPDATE "table" is not followed by SET or REMOVE' };
  } else {
    tableAt = 2;
    if (!isWord(tokens[1], verb === 'INSERT' ? 'INTO' : 'FROM')) return { unclassifiable: `${verb} is not followed by ${verb === 'INSERT' ? 'INTO' : 'FROM'}` };
  }
  const table = tokens[tableAt];
  if (table?.kind !== 'identifier' || !NAME.test(table.text)) return { unclassifiable: 'its table is not one double-quoted table name' };
  /** @type {string | undefined} */
  let index;
  let after = tableAt + 1;
  if (verb === 'SELECT' && tokens[after]?.text === '.' && tokens[after]?.kind === 'symbol') {
    const named = tokens[after + 1];
    if (named?.kind !== 'identifier' || !NAME.test(named.text)) return { unclassifiable: 'its index is not one double-quoted index name' };
    index = named.text;
    after += 2;
  }
  const next = tokens[after];
  if (verb === 'SELECT' || verb === 'DELETE') {
    if (next && !isWord(next, 'WHERE')) return { unclassifiable: `${JSON.stringify(next.text)} after the table` };
  } else if (verb === 'INSERT' && !isWord(next, 'VALUE')) return { unclassifiable: 'INSERT INTO "table" is not followed by VALUE' };

  // The shape's own words are where it needs them; any other is a shape this reader does not know.
  const own = new Set([0, tableAt - 1]);
  const stray = tokens.find((token, position) => !own.has(position) && token.kind === 'word' && KEYWORDS.has(token.text.toUpperCase()));
  if (stray) return { unclassifiable: `a second ${stray.text.toUpperCase()}` };
  return index ? { action, table: table.text, index } : { action, table: table.text };
};
