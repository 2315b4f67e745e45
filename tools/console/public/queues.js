// Queues: every queue and DLQ, refreshed every 2 s while shown; a DLQ's
// messages; Redrive and Purge (the `npm run dlq` code, on the server).
/* global confirm */
import { age, api, fill, h, messageOf } from './dom.js';

/** @typedef {import('./dom.js').QueueInfo} QueueInfo */

/** @param {HTMLElement} panel @returns {import('./dom.js').View} */
export const mountQueues = (panel) => {
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let timer;
  /** @type {string | undefined} */
  let opened;
  const notice = h('div', { role: 'status', 'aria-live': 'polite' });
  const body = h('tbody');
  const messages = h('section', { class: 'messages', 'aria-label': 'Dead-letter queue messages' });

  /** @param {string} text @param {string} [kind] */
  const say = (text, kind = '') => fill(notice, text ? h('p', { class: `notice ${kind}` }, text) : '');

  /** @param {string} label @param {() => Promise<string>} work */
  const act = async (label, work) => {
    say(`${label}…`);
    try {
      say(await work(), 'ok');
    } catch (error) {
      say(messageOf(error), 'error');
    }
    await refresh();
    if (opened) await showMessages(opened);
  };

  /** @param {QueueInfo} queue */
  const redrive = (queue) =>
    act(`Redriving ${queue.name}`, async () => {
      const result = await api(`/api/queues/${encodeURIComponent(queue.name)}/redrive`, { method: 'POST', body: {} });
      return `${queue.name}: ${result.moved} message(s) sent back to ${result.destinations.join(', ')}${result.skipped ? `; ${result.skipped} arrived meanwhile and stayed` : ''}`;
    });

  /** @param {QueueInfo} queue */
  const purge = (queue) => {
    if (!confirm(`Delete every message of ${queue.name} for good?`)) return undefined;
    return act(`Purging ${queue.name}`, async () => {
      const result = await api(`/api/queues/${encodeURIComponent(queue.name)}/purge`, { method: 'POST', body: { confirm: queue.name } });
      return `${queue.name}: purged (${result.purged} message(s))`;
    });
  };

  /** @param {string} name */
  const showMessages = async (name) => {
    opened = name;
    fill(messages, h('h2', {}, `Messages of ${name}`), h('p', { class: 'meta' }, 'Reading…'));
    try {
      /** @type {{ messages: import('./dom.js').QueueMessage[] }} */
      const { messages: found } = await api(`/api/queues/${encodeURIComponent(name)}/messages`);
      fill(
        messages,
        h('h2', {}, `Messages of ${name}`),
        h('p', { class: 'meta' }, 'As `npm run dlq -- peek` shows them: each look counts as one receive.'),
        found.length === 0 ? h('p', { class: 'empty' }, 'No messages.') : '',
        found.map((message) =>
          h(
            'article',
            { class: 'message', 'aria-label': `Message ${message.messageId}` },
            h('div', {}, h('strong', {}, message.event ? `${message.event.type} ${message.event.id}` : message.messageId)),
            h(
              'dl',
              {},
              h('dt', {}, 'receive count'),
              h('dd', { 'data-testid': 'receive-count' }, String(message.receiveCount)),
              h('dt', {}, 'sent'),
              h('dd', {}, message.sentAt ?? '—'),
              h('dt', {}, 'message id'),
              h('dd', { class: 'mono' }, message.messageId),
            ),
            h('details', {}, h('summary', {}, 'attributes'), h('pre', {}, JSON.stringify({ ...message.messageAttributes, ...message.attributes }, null, 2))),
            h('details', { open: true }, h('summary', {}, 'body'), h('pre', {}, message.body)),
          ),
        ),
      );
    } catch (error) {
      fill(messages, h('p', { class: 'notice error' }, messageOf(error)));
    }
  };

  /** @param {QueueInfo} queue */
  const row = (queue) => {
    const dlq = queue.dlq;
    const holds = queue.depth + queue.inFlight + queue.delayed > 0;
    return h(
      'tr',
      { class: dlq && holds ? 'nonempty' : '', 'data-queue': queue.name },
      h('td', {}, h('span', { class: 'mono' }, queue.name)),
      h('td', {}, queue.service),
      h('td', {}, dlq ? (dlq.kind === 'redrive' ? `DLQ of ${dlq.sources.join(', ')}` : dlq.kind === 'stream-failures' ? 'relay failures' : 'DLQ (orphan)') : queue.deadLetterQueue ? `→ ${queue.deadLetterQueue}` : ''),
      h('td', { class: 'num', 'data-testid': 'depth' }, String(queue.depth)),
      h('td', { class: 'num' }, String(queue.inFlight)),
      h('td', { class: 'num' }, age(queue.oldestAgeSeconds)),
      h(
        'td',
        {},
        dlq
          ? h(
              'div',
              { class: 'row-actions' },
              h('button', { type: 'button', class: 'action', 'aria-label': `Show messages of ${queue.name}`, onclick: () => showMessages(queue.name) }, 'Messages'),
              dlq.kind === 'redrive'
                ? h('button', { type: 'button', class: 'action', 'aria-label': `Redrive ${queue.name}`, disabled: !holds, onclick: () => redrive(queue) }, 'Redrive')
                : '',
              h('button', { type: 'button', class: 'action danger', 'aria-label': `Purge ${queue.name}`, disabled: !holds, onclick: () => purge(queue) }, 'Purge'),
            )
          : '',
      ),
    );
  };

  const refresh = async () => {
    try {
      /** @type {{ queues: QueueInfo[] }} */
      const { queues } = await api('/api/queues');
      fill(body, queues.map(row));
    } catch (error) {
      say(messageOf(error), 'error');
    }
  };

  fill(
    panel,
    h(
      'div',
      { class: 'toolbar' },
      h('button', { type: 'button', class: 'action', onclick: refresh }, 'Refresh'),
      h('span', { class: 'meta' }, 'Refreshed every 2 s. Depth: visible messages; in flight: received, not yet deleted; oldest: age of the oldest message.'),
    ),
    notice,
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { 'aria-label': 'Queues' },
        h('thead', {}, h('tr', {}, ['Queue', 'Service', 'Role', 'Depth', 'In flight', 'Oldest', 'Actions'].map((name) => h('th', { scope: 'col' }, name)))),
        body,
      ),
    ),
    messages,
  );

  return {
    show: () => {
      refresh();
      timer ??= setInterval(refresh, 2000);
    },
    hide: () => {
      clearInterval(timer);
      timer = undefined;
    },
  };
};
