// Tables: each service's tables, read-only: browse page by page, or look a
// row up by its key.
import { api, fill, h, messageOf } from './dom.js';

/** @typedef {import('./dom.js').TableInfo} TableInfo @typedef {Record<string, unknown>} Row */

const MAX_COLUMNS = 9;

/** @param {unknown} value */
const cell = (value) => {
  if (value === undefined) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
};

/** @param {HTMLElement} panel @returns {import('./dom.js').View} */
export const mountTables = (panel) => {
  /** @type {TableInfo[]} */
  let tables = [];
  /** @type {Array<string | undefined>} the cursors of the pages before this one */
  let cursors = [];
  const picker = h('select', { id: 'table-name' });
  const keyFields = h('div', { class: 'toolbar' });
  const result = h('section', { 'aria-label': 'Rows', 'aria-live': 'polite' });

  const current = () => tables.find((table) => table.name === picker.value);

  /** @param {TableInfo} table @param {Row[]} rows @param {string | undefined} nextCursor */
  const renderRows = (table, rows, nextCursor) => {
    const names = [...new Set([...table.keys.map((k) => k.name), ...rows.flatMap((row) => Object.keys(row))])].slice(0, MAX_COLUMNS);
    fill(
      result,
      h('p', { class: 'meta' }, `${table.name} · owned by ${table.service} · ${rows.length} row(s) on this page${table.rowCount === undefined ? '' : ` · about ${table.rowCount} in all`}`),
      h(
        'div',
        { class: 'scroll' },
        h(
          'table',
          { 'aria-label': `Rows of ${table.name}` },
          h('thead', {}, h('tr', {}, names.map((name) => h('th', { scope: 'col' }, name)), h('th', { scope: 'col' }, 'row'))),
          h(
            'tbody',
            {},
            rows.map((row) =>
              h('tr', {}, names.map((name) => h('td', { class: 'mono' }, cell(row[name]))), h('td', {}, h('details', {}, h('summary', {}, 'all'), h('pre', {}, JSON.stringify(row, null, 2))))),
            ),
          ),
        ),
      ),
      h(
        'div',
        { class: 'toolbar' },
        h('button', { type: 'button', class: 'action', disabled: cursors.length === 0, onclick: () => browse(cursors.pop(), true) }, 'Previous page'),
        h('button', { type: 'button', class: 'action', disabled: !nextCursor, onclick: () => browse(nextCursor) }, 'Next page'),
      ),
    );
  };

  /** @type {string | undefined} */
  let shownCursor;
  /** @param {string | undefined} cursor @param {boolean} [back] */
  const browse = async (cursor, back = false) => {
    const table = current();
    if (!table) return;
    if (!back && cursor !== undefined) cursors.push(shownCursor);
    shownCursor = cursor;
    try {
      const page = await api(`/api/tables/${encodeURIComponent(table.name)}?limit=25${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      renderRows(table, page.rows, page.nextCursor);
    } catch (error) {
      fill(result, h('p', { class: 'notice error' }, messageOf(error)));
    }
  };

  /** @param {SubmitEvent} event */
  const lookUp = async (event) => {
    event.preventDefault();
    const table = current();
    if (!table) return;
    const params = new URLSearchParams();
    for (const input of keyFields.querySelectorAll('input')) params.set(input.name, input.value);
    try {
      const { row } = await api(`/api/tables/${encodeURIComponent(table.name)}/row?${params}`);
      fill(result, row ? h('pre', { 'aria-label': 'Row' }, JSON.stringify(row, null, 2)) : h('p', { class: 'notice' }, 'No row has this key.'));
    } catch (error) {
      fill(result, h('p', { class: 'notice error' }, messageOf(error)));
    }
  };

  const pick = () => {
    const table = current();
    if (!table) return;
    cursors = [];
    shownCursor = undefined;
    fill(
      keyFields,
      table.keys.map((key) =>
        h('label', { for: `key-${key.name}` }, `${key.name} (${key.role} key)`, h('input', { type: 'text', id: `key-${key.name}`, name: key.name, required: true, placeholder: key.type === 'N' ? 'a number' : '' })),
      ),
      h('button', { type: 'submit', class: 'action' }, 'Look up'),
      h('button', { type: 'button', class: 'action', onclick: () => browse(undefined) }, 'Browse'),
    );
    browse(undefined);
  };
  picker.addEventListener('change', pick);

  fill(
    panel,
    h('div', { class: 'toolbar' }, h('label', { for: 'table-name' }, 'Table (owning service)', picker)),
    h('form', { onsubmit: lookUp, 'aria-label': 'Look up a row by its key' }, keyFields),
    result,
  );

  let loaded = false;
  return {
    show: async () => {
      if (loaded) return;
      try {
        ({ tables } = await api('/api/tables'));
        loaded = true;
        fill(picker, tables.map((table) => h('option', { value: table.name }, `${table.name} (${table.service})`)));
        pick();
      } catch (error) {
        fill(result, h('p', { class: 'notice error' }, messageOf(error)));
      }
    },
  };
};
