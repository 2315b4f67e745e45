// The console page: four tabs over one live feed of hops (server-sent events).
/* global document, EventSource, location, history, HTMLButtonElement */
import { api } from './dom.js';

/** @param {string} id @returns {HTMLElement} */
const byId = (id) => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element;
};
import { mountFlows } from './flows.js';
import { mountQueues } from './queues.js';
import { mountReplay } from './replay.js';
import { mountTables } from './tables.js';

const status = byId('live-status');
/** @type {import('./dom.js').Overview} */
const overview = await api('/api/overview');

/** @type {Record<string, import('./dom.js').View>} */
const views = {};
/** @type {import('./dom.js').Context} */
const context = {
  services: overview.services,
  entityKeyNames: overview.entityKeyNames ?? [],
  /** Opens the Replay tab with a recorded event. */
  replay: (eventId) => {
    select('replay');
    replay.load(eventId);
  },
  /** Opens the Flows tab on a flow. */
  showFlow: (flowId) => {
    select('flows');
    flows.open(flowId);
  },
};
const flows = (views.flows = mountFlows(byId('panel-flows'), context));
views.queues = mountQueues(byId('panel-queues'));
views.tables = mountTables(byId('panel-tables'));
const replay = (views.replay = mountReplay(byId('panel-replay'), context));

const tabs = [...document.querySelectorAll('button[role="tab"]')].filter((tab) => tab instanceof HTMLButtonElement);
/** @param {string} name */
const select = (name) => {
  for (const tab of tabs) {
    const on = tab.id === `tab-${name}`;
    tab.setAttribute('aria-selected', String(on));
    tab.tabIndex = on ? 0 : -1;
    byId(tab.getAttribute('aria-controls') ?? '').hidden = !on;
  }
  for (const [key, view] of Object.entries(views)) (key === name ? view.show : view.hide)?.();
  if (location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`);
};
for (const [index, tab] of tabs.entries()) {
  tab.addEventListener('click', () => select(tab.id.slice(4)));
  // Arrow keys move between tabs, as the ARIA tabs pattern has it.
  tab.addEventListener('keydown', (event) => {
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    const next = tabs[(index + step + tabs.length) % tabs.length];
    if (!next) return;
    next.focus();
    select(next.id.slice(4));
  });
}
select(['flows', 'queues', 'tables', 'replay'].includes(location.hash.slice(1)) ? location.hash.slice(1) : 'flows');

// Live: every hop as it is recorded. The flows view refreshes what it shows.
let count = overview.recorded;
const live = new EventSource(`/api/live?after=${overview.recorded}`);
live.addEventListener('open', () => (status.textContent = `live · ${count} hops recorded (last ${overview.capacity} kept)`));
live.addEventListener('error', () => (status.textContent = 'reconnecting…'));
live.addEventListener('hop', (message) => {
  const hop = JSON.parse(/** @type {MessageEvent<string>} */ (message).data);
  count = Math.max(count, hop.seq);
  status.textContent = `live · ${count} hops recorded (last ${overview.capacity} kept)`;
  for (const view of Object.values(views)) view.onHop?.(hop);
});
