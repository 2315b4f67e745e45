// A few lines instead of a framework: build elements, fetch JSON.
/* global document, Node */

/**
 * h('button', { class: 'x', onclick, 'aria-label': 'Redrive' }, 'text', child…)
 * Attributes that are functions become listeners; false/null/undefined are left out.
 */
export const h = (tag, attributes = {}, ...children) => {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === false || value === null || value === undefined) continue;
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    else if (name === 'value') element.value = value;
    else if (name === 'checked' || name === 'selected' || name === 'disabled') element[name] = Boolean(value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
};

/** Replaces an element's children. */
export const fill = (element, ...children) => {
  element.replaceChildren();
  for (const child of children.flat(Infinity)) if (child !== null && child !== undefined && child !== false) element.append(child instanceof Node ? child : String(child));
  return element;
};

/** fetch → JSON; a non-2xx answer throws with the server's message. */
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

/** "12 s", "3 min", "2 h" */
export const age = (seconds) => {
  if (seconds === undefined || seconds === null) return '—';
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
};

export const clock = (at) => new Date(at).toLocaleTimeString(undefined, { hour12: false }) + `.${String(at % 1000).padStart(3, '0')}`;

/** Calls fn at most once per `ms`, after the last call. */
export const debounce = (fn, ms) => {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
};

/** Calls fn at most once per `ms` while calls keep coming, and once after the last. */
export const throttle = (fn, ms) => {
  let timer;
  return () => {
    timer ??= setTimeout(() => {
      timer = undefined;
      fn();
    }, ms);
  };
};
