// A few lines instead of a framework: build elements, fetch JSON.
/* global document, Node */

/**
 * What h() and fill() take as children: nodes, text, lists of them; false, null
 * and undefined are left out.
 * @typedef {Node | string | number | boolean | null | undefined | Children} Child
 * @typedef {readonly Child[]} Children
 */

/**
 * Attributes: functions become listeners (`onclick`), `value`, `checked`,
 * `selected` and `disabled` become properties; false/null/undefined are left out.
 * @typedef {Record<string, unknown>} Attributes
 */

/** @param {Child[]} children @returns {Array<Node | string>} */
const nodes = (children) =>
  /** @type {unknown[]} */ (children).flat(Infinity).flatMap((child) => (child === null || child === undefined || child === false ? [] : [child instanceof Node ? child : String(child)]));

/**
 * h('button', { class: 'x', onclick, 'aria-label': 'Redrive' }, 'text', child…)
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag @param {Attributes | null} [attributes] @param {Child[]} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export const h = (tag, attributes = {}, ...children) => {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === false || value === null || value === undefined) continue;
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), /** @type {EventListener} */ (value));
    else if (name === 'value') /** @type {HTMLInputElement} */ (element).value = String(value);
    else if (name === 'checked' || name === 'selected' || name === 'disabled') /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (element))[name] = Boolean(value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  element.append(...nodes(children));
  return element;
};

/**
 * Replaces an element's children.
 * @template {Element} E
 * @param {E} element @param {Child[]} children
 * @returns {E}
 */
export const fill = (element, ...children) => {
  element.replaceChildren(...nodes(children));
  return element;
};

/**
 * fetch → JSON; a non-2xx answer throws with the server's message.
 * @param {string} path @param {{ method?: string, body?: unknown }} [options]
 * @returns {Promise<any>}
 */
export const api = async (path, { method = 'GET', body } = {}) => {
  const response = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok && response.status !== 422) throw new Error(data.error ?? `${response.status} ${response.statusText}`);
  return data;
};

/** An error's message, for a notice. @param {unknown} error */
export const messageOf = (error) => (error instanceof Error ? error.message : String(error));

/**
 * What the console's server answers (tools/console/lib/server.mjs), as far as the page reads it.
 * @typedef {{ services: string[], entityKeyNames: string[], busTopicArn?: string, capacity: number, recorded: number }} Overview
 * @typedef {{ id: string, startedAt: number, lastAt: number, hopCount: number, failedCount: number, services: string[], title: string,
 *   created?: { name: string, value: string }, entityKeys: Record<string, string[]>, status?: string, lastSeq: number }} FlowSummary
 * @typedef {{ id: string, type: string, source?: string, correlationId?: string }} EventRef
 * @typedef {{ kind: string, seq: number, at: number, service?: string, function?: string, title: string, details?: string[][],
 *   failed: boolean, events: EventRef[], nextEvents?: string[] }} FlowEntry
 * @typedef {{ name: string, service: string, depth: number, inFlight: number, delayed: number, oldestAgeSeconds?: number,
 *   dlq?: { kind: string, sources: string[] }, deadLetterQueue?: string }} QueueInfo
 * @typedef {{ messageId: string, receiveCount: number, sentAt?: string, body: string, event?: EventRef,
 *   messageAttributes?: Record<string, unknown>, attributes?: Record<string, unknown> }} QueueMessage
 * @typedef {{ name: string, service: string, keys: Array<{ name: string, role: string, type: string }>, rowCount?: number }} TableInfo
 */

/**
 * What app.js gives each view, and what each view gives back.
 * @typedef {{ services: string[], entityKeyNames: string[], replay: (eventId: string) => void, showFlow: (flowId: string) => void }} Context
 * @typedef {{ show?: () => unknown, hide?: () => void, onHop?: (hop: unknown) => void }} View
 */

/** "12 s", "3 min", "2 h" @param {number | null | undefined} seconds */
export const age = (seconds) => {
  if (seconds === undefined || seconds === null) return '—';
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
};

/** @param {number} at */
export const clock = (at) => new Date(at).toLocaleTimeString(undefined, { hour12: false }) + `.${String(at % 1000).padStart(3, '0')}`;

/**
 * Calls fn at most once per `ms`, after the last call.
 * @template {unknown[]} A
 * @param {(...args: A) => unknown} fn @param {number} ms
 * @returns {(...args: A) => void}
 */
export const debounce = (fn, ms) => {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
};

/**
 * Calls fn at most once per `ms` while calls keep coming, and once after the last.
 * @param {() => unknown} fn @param {number} ms
 * @returns {() => void}
 */
export const throttle = (fn, ms) => {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  return () => {
    timer ??= setTimeout(() => {
      timer = undefined;
      fn();
    }, ms);
  };
};
