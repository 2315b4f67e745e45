// Replay: pick a recorded event, publish it to the bus as it was or edited.
// The server checks it against its type's zod schema before it sends anything.
import { api, debounce, fill, h, messageOf } from './dom.js';

/**
 * @param {HTMLElement} panel @param {import('./dom.js').Context} context
 * @returns {import('./dom.js').View & { load: (eventId: string) => Promise<void> }}
 */
export const mountReplay = (panel, context) => {
  /** @type {string | undefined} the recorded event, as first loaded into the editor */
  let recorded;
  const filter = h('input', { type: 'search', id: 'replay-filter', placeholder: ['type', 'id', ...context.entityKeyNames].join(', ') + '…', autocomplete: 'off' });
  const picker = h('select', { id: 'replay-event', size: 12 });
  const editor = h('textarea', { id: 'replay-json', spellcheck: 'false', class: 'mono' });
  const outcome = h('div', { role: 'status', 'aria-live': 'polite' });

  /** @param {import('./dom.js').Child} node */
  const say = (node) => fill(outcome, node);

  const loadList = async () => {
    /** @type {{ events: import('./dom.js').EventRef[] }} */
    const { events } = await api(`/api/events?q=${encodeURIComponent(filter.value.trim())}`);
    fill(
      picker,
      events.length === 0 ? h('option', { disabled: true }, 'No events recorded yet') : '',
      events.map((event) => h('option', { value: event.id, selected: event.id === picker.value }, `${event.type} · ${event.id}`)),
    );
  };

  /** @param {string} eventId */
  const load = async (eventId) => {
    await loadList();
    picker.value = eventId;
    try {
      const { event } = await api(`/api/events/${encodeURIComponent(eventId)}`);
      recorded = JSON.stringify(event, null, 2);
      editor.value = recorded;
      say(h('p', { class: 'notice' }, `Recorded ${event.type} ${event.id}. Publish it as it is, or edit it first.`));
    } catch (error) {
      say(h('p', { class: 'notice error' }, messageOf(error)));
    }
  };

  /** @returns {{ event: unknown, error?: undefined } | { event?: undefined, error: string }} */
  const parsed = () => {
    try {
      return { event: JSON.parse(editor.value) };
    } catch (error) {
      return { error: `Not JSON: ${messageOf(error)}` };
    }
  };

  /** @param {string[]} list */
  const issues = (list) => h('div', { class: 'notice error', role: 'alert' }, h('strong', {}, 'Not a valid event, nothing was sent:'), h('ul', {}, list.map((issue) => h('li', {}, issue))));

  const validate = async () => {
    const { event, error } = parsed();
    if (error) return say(h('p', { class: 'notice error', role: 'alert' }, error));
    const result = await api('/api/validate', { method: 'POST', body: { event } });
    return say(result.ok ? h('p', { class: 'notice ok' }, `Valid ${result.event.type}.`) : issues(result.issues));
  };

  const publish = async () => {
    const { event, error } = parsed();
    if (error) return say(h('p', { class: 'notice error', role: 'alert' }, error));
    const edited = recorded === undefined || JSON.stringify(event) !== JSON.stringify(JSON.parse(recorded));
    try {
      const result = await api('/api/replay', { method: 'POST', body: { event, edited } });
      if (!result.ok) return say(issues(result.issues));
      return say(
        h(
          'p',
          { class: 'notice ok' },
          `Published ${result.event.type} ${result.event.id}${edited ? ' (edited)' : ''} to the bus (message ${result.messageId}). `,
          result.event.correlationId
            ? h('button', { type: 'button', class: 'action', onclick: () => context.showFlow(result.event.correlationId) }, 'Show its flow')
            : '',
        ),
      );
    } catch (failure) {
      return say(h('p', { class: 'notice error' }, messageOf(failure)));
    }
  };

  picker.addEventListener('change', () => load(picker.value));
  filter.addEventListener('input', debounce(loadList, 250));

  fill(
    panel,
    h(
      'div',
      { class: 'replay' },
      h(
        'div',
        {},
        h('label', { for: 'replay-filter' }, 'Find a recorded event', filter),
        h('label', { for: 'replay-event', style: 'display:flex; margin-top:0.5rem' }, 'Recorded events (newest first)', picker),
      ),
      h(
        'div',
        {},
        h('label', { for: 'replay-json', style: 'display:flex' }, 'Event JSON (the envelope published to the bus)', editor),
        h(
          'div',
          { class: 'toolbar', style: 'margin-top:0.5rem' },
          h('button', { type: 'button', class: 'action', onclick: validate }, 'Validate'),
          h('button', { type: 'button', class: 'action primary', onclick: publish }, 'Publish to the bus'),
          h('button', { type: 'button', class: 'action', onclick: () => recorded && (editor.value = recorded) }, 'Undo edits'),
        ),
        outcome,
      ),
    ),
  );

  return {
    load,
    show: () => loadList().catch(() => undefined),
  };
};
