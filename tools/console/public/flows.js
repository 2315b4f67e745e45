// Flows: every request and what it caused, newest first; the selected flow's
// hops one after another, refreshed as new hops arrive.
import { api, clock, debounce, fill, h, messageOf, throttle } from './dom.js';

/** @typedef {import('./dom.js').FlowSummary} FlowSummary @typedef {import('./dom.js').FlowEntry} FlowEntry */

/** @type {Record<string, string>} */
const KIND_LABEL = { http: 'HTTP', invoke: 'invoke', stream: 'table', event: 'event', sqs: 'queue', replay: 'replay', schedule: 'schedule', s3: 'S3', 's3-notification': 'S3 event', publish: 'publish' };

/** A flow's entity keys as text (`<key> <value>, <value> · <key> <value>`), whatever keys the contracts declare. @param {Record<string, string[]>} keys */
const keysText = (keys) =>
  Object.entries(keys)
    .map(([name, values]) => `${name} ${values.join(', ')}`)
    .join(' · ');

/**
 * @param {HTMLElement} panel @param {import('./dom.js').Context} context
 * @returns {import('./dom.js').View & { open: (flowId: string) => Promise<void> }}
 */
export const mountFlows = (panel, context) => {
  /** @type {string | undefined} */
  let selected;
  let visible = true;

  const search = h('input', { type: 'search', id: 'flow-search', placeholder: [...context.entityKeyNames, 'event id', 'request id', 'S3 bucket or key'].join(', '), autocomplete: 'off' });
  const service = h('select', { id: 'flow-service' }, h('option', { value: '' }, 'all services'), context.services.map((name) => h('option', { value: name }, name)));
  const failed = h('input', { type: 'checkbox', id: 'flow-failed' });
  const list = h('ul', { class: 'flow-list', 'aria-label': 'Flows' });
  const detail = h('section', { class: 'detail', 'aria-label': 'Flow', 'aria-live': 'polite' }, h('p', { class: 'empty' }, 'Pick a flow to see its hops.'));

  const filters = () => {
    const params = new URLSearchParams();
    if (search.value.trim()) params.set('q', search.value.trim());
    if (service.value) params.set('service', service.value);
    if (failed.checked) params.set('failed', '1');
    return params;
  };

  /** @param {FlowSummary[]} flows */
  const renderList = (flows) => {
    if (flows.length === 0) return fill(list, h('li', { class: 'empty' }, search.value ? 'No flow matches.' : 'No hops yet: call the API (see the README) and watch them arrive.'));
    return fill(
      list,
      flows.map((flow) =>
        h(
          'li',
          {},
          h(
            'button',
            {
              type: 'button',
              'data-flow-id': flow.id,
              'aria-current': String(flow.id === selected),
              onclick: () => open(flow.id),
            },
            h(
              'div',
              { class: 'title' },
              flow.title,
              // The entity its request created, by the key name the contracts give it.
              flow.created ? h('span', { class: 'created', 'data-testid': 'flow-created' }, ` · created ${flow.created.name} ${flow.created.value}`) : '',
            ),
            h(
              'div',
              { class: 'meta' },
              `${clock(flow.startedAt)} · ${flow.hopCount} hops · ${flow.services.join(', ')}`,
              flow.failedCount > 0 ? ` · ${flow.failedCount} failed` : '',
              Object.keys(flow.entityKeys).length > 0 ? ` · ${keysText(flow.entityKeys)}` : '',
              flow.status ? ' · ' : '',
              flow.status ? h('span', { class: 'status' }, flow.status) : '',
            ),
          ),
        ),
      ),
    );
  };

  const refreshList = async () => {
    const { flows } = await api(`/api/flows?${filters()}`);
    renderList(flows);
  };

  /** @param {FlowEntry} entry @param {number} startedAt */
  const entryRow = (entry, startedAt) =>
    h(
      'li',
      { class: entry.failed ? 'failed' : '', 'data-kind': entry.kind, 'data-service': entry.service ?? '', 'data-seq': entry.seq },
      h('span', { class: 'when', title: clock(entry.at) }, `+${entry.at - startedAt} ms`),
      h('span', { class: `kind ${entry.kind}` }, KIND_LABEL[entry.kind] ?? entry.kind),
      h(
        'div',
        { class: 'what' },
        h('div', { class: 'headline' }, entry.service ? h('span', { class: 'who' }, `${entry.service}${entry.function ? ` · ${entry.function}` : ''}: `) : '', entry.title),
        entry.details?.length ? h('dl', {}, entry.details.map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)])) : '',
        entry.nextEvents ? h('div', { class: 'next' }, `next events: ${entry.nextEvents.join(', ')}`) : '',
        entry.kind === 'event'
          ? entry.events.slice(0, 1).map((event) => h('button', { type: 'button', class: 'action', 'aria-label': `Replay ${event.type} ${event.id}`, onclick: () => context.replay(event.id) }, 'Replay…'))
          : '',
      ),
    );

  /** @param {{ flow: FlowSummary, entries: FlowEntry[] }} answer */
  const renderDetail = ({ flow, entries }) => {
    fill(
      detail,
      h('h2', {}, flow.title),
      h(
        'p',
        { class: 'meta' },
        `flow ${flow.id} · ${flow.hopCount} hops`,
        Object.keys(flow.entityKeys).length > 0 ? h('span', { 'data-testid': 'flow-keys' }, ` · ${keysText(flow.entityKeys)}`) : '',
        flow.status ? ' · last status ' : '',
        flow.status ? h('span', { class: 'status', 'data-testid': 'flow-status' }, flow.status) : '',
      ),
      h('ol', { class: 'hops', 'aria-label': 'Hops' }, entries.map((entry) => entryRow(entry, flow.startedAt))),
    );
  };

  const refreshDetail = async () => {
    if (!selected) return;
    try {
      renderDetail(await api(`/api/flows/${encodeURIComponent(selected)}?${filters()}`));
    } catch (error) {
      fill(detail, h('p', { class: 'notice error' }, messageOf(error)));
    }
  };

  /** @param {string} flowId */
  const open = async (flowId) => {
    selected = flowId;
    for (const button of list.querySelectorAll('button[data-flow-id]')) button.setAttribute('aria-current', String(button.getAttribute('data-flow-id') === flowId));
    await refreshDetail();
  };

  const refresh = () => Promise.all([refreshList(), refreshDetail()]).catch(() => undefined);
  const typed = debounce(refresh, 250);
  // Under a stream of hops, refreshed a few times a second, not once per hop.
  const later = throttle(refresh, 300);
  search.addEventListener('input', typed);
  service.addEventListener('change', refresh);
  failed.addEventListener('change', refresh);

  fill(
    panel,
    h(
      'form',
      { class: 'toolbar', role: 'search', onsubmit: (/** @type {SubmitEvent} */ event) => (event.preventDefault(), refresh()) },
      h('label', { class: 'grow', for: 'flow-search' }, 'Search by entity key, event or request id', search),
      h('label', { for: 'flow-service' }, 'Service', service),
      h('label', { class: 'inline', for: 'flow-failed' }, failed, 'Failed hops only'),
    ),
    h('div', { class: 'flows' }, list, detail),
  );
  refresh();

  return {
    open,
    show: () => {
      visible = true;
      refresh();
    },
    hide: () => {
      visible = false;
    },
    onHop: () => {
      if (visible) later();
    },
  };
};
