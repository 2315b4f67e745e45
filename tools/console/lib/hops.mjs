// What the console makes of the recorder's hops (tools/local-runtime/stack/recorder.mjs):
// a small view of each (service, function, event, keys, outcome, the ids it
// mentions), worked out once per hop and only when the console asks, and the
// flows they make up.
//
// A flow is one correlation id: the request id of the HTTP call that started
// it, which the functions carry on in rows (`correlationId`), events (envelope
// and SNS attribute) and logs. A hop that carries none (an event published by
// hand, a message whose sender left it out) joins the flow of the order it
// names, when a correlated hop named that order too; else its order, event
// or item makes its flow. Event ids derive from the order (`order.placed:<id>`,
// `stock.reserved:<id>`), so the hops of one order still meet.
//
// Events are not recorded where they are published (that happens inside the
// functions, whose code the console never touches): an event appears when a
// queue delivers it, and is attributed to the outbox relay invocation of its
// source service (or the console's own replay) that ran just before.
import { unmarshall } from '@aws-sdk/util-dynamodb';

/** @typedef {import('@platform/local-runtime/stack/recorder').Hop} Hop */

/**
 * @typedef {object} EventRef
 * @property {string} id
 * @property {string} type
 * @property {string} [source]
 * @property {string} [correlationId]
 */

/**
 * @typedef {object} HopView
 * @property {number} seq
 * @property {number} at
 * @property {'http' | 'invoke' | 'sqs' | 'stream' | 'replay'} kind
 * @property {string | undefined} service
 * @property {string | undefined} function   the function's short name (placeOrder)
 * @property {string} title                  one line for a human
 * @property {string[][]} details           [term, value] pairs
 * @property {boolean} failed
 * @property {string[]} correlationIds
 * @property {EventRef[]} events             the events this hop carried
 * @property {string[]} orderIds
 * @property {string[]} itemIds
 * @property {string | undefined} orderStatus  an order row's status after a table write
 * @property {Record<string, unknown>} [facts]  kind-specific fields the page and the tests read
 * @property {string} terms                  what search looks in, lower case
 */

const parseJson = (text) => {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

const unique = (list) => [...new Set(list.filter((value) => typeof value === 'string' && value !== ''))];

/** The queue's name from its ARN. */
const queueName = (arn) => String(arn ?? '').split(':').pop() ?? '';
/** The table's name from its stream's ARN (`…:table/<name>/stream/<label>`). */
const tableOfStream = (arn) => String(arn ?? '').split(':table/')[1]?.split('/')[0] ?? '';

/**
 * The event envelope in a message body: raw delivery gives the envelope
 * itself; an SNS notification wrapper is unwrapped.
 * @returns {Record<string, any> | undefined}
 */
export const envelopeOf = (body) => {
  let parsed = parseJson(body);
  if (parsed?.Type === 'Notification' && typeof parsed.Message === 'string') parsed = parseJson(parsed.Message);
  return parsed && typeof parsed === 'object' && typeof parsed.type === 'string' ? parsed : undefined;
};

/** Order and item ids an event names: in its data, or in its id (`order.placed:<orderId>`, `item.updated:<itemId>:<version>`). */
const idsOfEvent = (type, id, data) => {
  const fromId = typeof id === 'string' ? id.split(':')[1] : undefined;
  const isItemEvent = typeof type === 'string' && type.startsWith('item.');
  return {
    orderIds: unique([data?.orderId, isItemEvent ? undefined : fromId]),
    itemIds: unique([data?.itemId, isItemEvent ? data?.id : undefined, isItemEvent ? fromId : undefined]),
  };
};

/**
 * What one SQS message carries: its event (from the SNS attributes the bus
 * publisher sets, else from the body) and the ids it names.
 * @param {{ body?: string, attributes: Record<string, string | undefined> }} message
 */
const readMessage = ({ body, attributes }) => {
  const envelope = envelopeOf(body);
  const id = attributes.eventId ?? (typeof envelope?.id === 'string' ? envelope.id : undefined);
  const type = attributes.type ?? envelope?.type;
  const correlationId = attributes.correlationId ?? (typeof envelope?.correlationId === 'string' ? envelope.correlationId : undefined);
  const ids = idsOfEvent(type, id, envelope?.data);
  /** @type {EventRef | undefined} */
  const event = id && type ? { id, type, source: typeof envelope?.source === 'string' ? envelope.source : undefined, correlationId } : undefined;
  return { event, correlationId, envelope, ...ids };
};

const sqsAttributes = (messageAttributes, valueKey) =>
  Object.fromEntries(Object.entries(messageAttributes ?? {}).map(([name, value]) => [name, value?.[valueKey]]));

/** What a stream record says: table, change, keys, the ids its rows name, an order's status. */
const readStreamRecord = (record) => {
  const change = record?.dynamodb ?? {};
  const keys = change.Keys ? unmarshall(change.Keys) : {};
  const image = change.NewImage ? unmarshall(change.NewImage) : change.OldImage ? unmarshall(change.OldImage) : {};
  const [entity, id] = String(keys.pk ?? '').split('#');
  const orderIds = unique([entity === 'ORDER' || entity === 'RESERVATION' ? id : undefined, image.orderId]);
  const itemIds = unique([entity === 'ITEM' ? id : undefined, image.itemId]);
  return {
    eventName: record?.eventName,
    keys,
    entity,
    orderIds,
    itemIds,
    correlationId: typeof image.correlationId === 'string' ? image.correlationId : undefined,
    orderStatus: entity === 'ORDER' && record?.eventName !== 'REMOVE' ? image.status : undefined,
    reason: image.reason,
  };
};

/** How an invocation ended, in words, and whether that is a failure. */
const outcomeOf = (result, trigger) => {
  if (!result) return { failed: true, text: 'no result' };
  if (!result.ok) return { failed: true, text: `${result.kind}: ${result.error}` };
  const payload = result.payload;
  if (trigger === 'http') {
    const status = payload && typeof payload === 'object' && 'statusCode' in payload ? Number(payload.statusCode) : 200;
    return { failed: !(status >= 100 && status < 500), text: String(status), statusCode: status };
  }
  const failures = Array.isArray(payload?.batchItemFailures) ? payload.batchItemFailures : [];
  if (failures.length > 0) return { failed: true, text: `${failures.length} batch item failure(s)`, batchItemFailures: failures.map((f) => String(f?.itemIdentifier)) };
  return { failed: false, text: 'ok' };
};

/**
 * @param {{ services: string[], stage?: string }} options  the services' names, to tell whose a function is
 */
export const createHopViews = ({ services, stage = 'local' }) => {
  const byLength = [...services].sort((a, b) => b.length - a.length);
  /** @param {string | undefined} functionName */
  const owner = (functionName) => {
    if (!functionName) return { service: undefined, function: undefined };
    const service = byLength.find((name) => functionName.startsWith(`${name}-${stage}-`));
    return { service, function: service ? functionName.slice(service.length + stage.length + 2) : functionName };
  };
  /** @type {WeakMap<Hop, HopView>} */
  const memo = new WeakMap();

  const describeHttp = (hop) => {
    const path = String(hop.path ?? '');
    const [, resource, id] = path.split('/');
    const failed = typeof hop.status !== 'number' || hop.status >= 500;
    return {
      service: hop.service,
      function: owner(hop.functionName).function,
      title: `${hop.method} ${path} → ${hop.status} (${hop.durationMs} ms)`,
      details: [
        ['request id', hop.requestId],
        ['route', hop.service ? `${hop.service}${hop.functionName ? ` / ${owner(hop.functionName).function}` : ''}` : 'no route'],
      ],
      failed,
      correlationIds: unique([hop.requestId]),
      events: [],
      orderIds: unique([resource === 'orders' ? id : undefined]),
      itemIds: unique([resource === 'items' ? id : undefined]),
      facts: { method: hop.method, path, status: hop.status, requestId: hop.requestId, durationMs: hop.durationMs },
      search: [hop.requestId, path],
    };
  };

  const describeInvoke = (hop) => {
    const who = owner(hop.functionName);
    const event = hop.event ?? {};
    const records = Array.isArray(event.Records) ? event.Records : [];
    const trigger = event.requestContext ? 'http' : records[0]?.eventSource === 'aws:sqs' ? 'sqs' : records[0]?.eventSource === 'aws:dynamodb' ? 'stream' : 'direct';
    const outcome = outcomeOf(hop.result, trigger);
    const base = { service: who.service, function: who.function, failed: outcome.failed };
    if (trigger === 'http') {
      const requestId = event.requestContext?.requestId;
      const answer = hop.result?.ok ? parseJson(hop.result.payload?.body) : undefined;
      const created = answer && typeof answer === 'object' ? answer : {};
      const [, resource, id] = String(event.rawPath ?? '').split('/');
      return {
        ...base,
        title: `invoked by ${event.requestContext?.http?.method ?? ''} ${event.rawPath ?? ''}: ${outcome.text} (${hop.durationMs} ms)`,
        details: [
          ['trigger', `HTTP ${event.routeKey ?? ''}`],
          ['duration', `${hop.durationMs} ms`],
          ['result', outcome.text],
        ],
        correlationIds: unique([requestId]),
        events: [],
        orderIds: unique([created.orderId, resource === 'orders' ? id : undefined]),
        itemIds: unique([resource === 'items' ? id : undefined, resource === 'items' ? created.id : undefined]),
        facts: { trigger, durationMs: hop.durationMs, outcome: outcome.text, statusCode: outcome.statusCode },
        search: [requestId, hop.functionName],
      };
    }
    if (trigger === 'sqs') {
      const read = records.map((record) => readMessage({ body: record.body, attributes: sqsAttributes(record.messageAttributes, 'stringValue') }));
      const failedIds = new Set(outcome.batchItemFailures ?? []);
      const failedEvents = records.flatMap((record, i) => (failedIds.has(record.messageId) && read[i].event ? [read[i].event.id] : []));
      return {
        ...base,
        title: `invoked with ${records.length} message(s) from ${queueName(records[0]?.eventSourceARN)}: ${outcome.text} (${hop.durationMs} ms)`,
        details: [
          ['trigger', `SQS ${queueName(records[0]?.eventSourceARN)}, batch of ${records.length}`],
          ['duration', `${hop.durationMs} ms`],
          ['result', outcome.text],
          ...(failedEvents.length > 0 ? /** @type {string[][]} */ ([['failed records', failedEvents.join(', ')]]) : []),
        ],
        correlationIds: unique(read.map((r) => r.correlationId)),
        events: read.flatMap((r) => (r.event ? [r.event] : [])),
        orderIds: unique(read.flatMap((r) => r.orderIds)),
        itemIds: unique(read.flatMap((r) => r.itemIds)),
        facts: { trigger, durationMs: hop.durationMs, outcome: outcome.text, batchSize: records.length, batchItemFailures: outcome.batchItemFailures ?? [] },
        search: [hop.functionName, ...records.map((record) => record.messageId)],
      };
    }
    if (trigger === 'stream') {
      const read = records.map(readStreamRecord);
      const table = tableOfStream(records[0]?.eventSourceARN);
      return {
        ...base,
        title: `invoked with ${records.length} stream record(s) of ${table}: ${outcome.text} (${hop.durationMs} ms)`,
        details: [
          ['trigger', `DynamoDB stream of ${table}, batch of ${records.length}`],
          ['duration', `${hop.durationMs} ms`],
          ['result', outcome.text],
        ],
        correlationIds: unique(read.map((r) => r.correlationId)),
        events: [],
        orderIds: unique(read.flatMap((r) => r.orderIds)),
        itemIds: unique(read.flatMap((r) => r.itemIds)),
        facts: { trigger, durationMs: hop.durationMs, outcome: outcome.text, batchSize: records.length, batchItemFailures: outcome.batchItemFailures ?? [] },
        search: [hop.functionName],
      };
    }
    return {
      ...base,
      title: `invoked: ${outcome.text} (${hop.durationMs} ms)`,
      details: [['duration', `${hop.durationMs} ms`], ['result', outcome.text]],
      correlationIds: [],
      events: [],
      orderIds: [],
      itemIds: [],
      facts: { trigger, durationMs: hop.durationMs, outcome: outcome.text },
      search: [hop.functionName],
    };
  };

  const describeSqs = (hop) => {
    const message = hop.message ?? {};
    const who = owner(hop.functionName);
    const read = readMessage({ body: message.Body, attributes: sqsAttributes(message.MessageAttributes, 'StringValue') });
    const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? 1);
    const queue = queueName(hop.queueArn);
    const what = read.event ? `${read.event.type} ${read.event.id}` : 'a message that is no event';
    return {
      service: who.service,
      function: who.function,
      title: `${queue} delivered ${what} (receive #${receiveCount})${hop.retry ? `: left for retry${hop.reason ? ` (${hop.reason})` : ''}` : ''}`,
      details: [
        ['queue', queue],
        ['receive count', String(receiveCount)],
        ['message id', message.MessageId ?? ''],
        ['then', hop.retry ? `left on the queue for another receive${hop.reason ? `: ${hop.reason}` : ''}` : `deleted (handled by ${who.function})`],
      ],
      failed: Boolean(hop.retry),
      correlationIds: unique([read.correlationId]),
      events: read.event ? [read.event] : [],
      orderIds: read.orderIds,
      itemIds: read.itemIds,
      facts: { queue, receiveCount, messageId: message.MessageId, retry: Boolean(hop.retry), eventId: read.event?.id, eventType: read.event?.type },
      search: [message.MessageId, queue],
    };
  };

  const describeStream = (hop) => {
    const read = readStreamRecord(hop.record);
    const table = tableOfStream(hop.streamArn);
    const owning = byLength.find((name) => table.startsWith(`${name}-${stage}-`));
    const keyText = Object.entries(read.keys)
      .sort(([a], [b]) => (a === 'pk' ? -1 : b === 'pk' ? 1 : a.localeCompare(b)))
      .map(([name, value]) => `${name}=${value}`)
      .join(' ');
    const status = read.orderStatus ? ` → ${read.orderStatus}${read.reason ? ` (${read.reason})` : ''}` : '';
    return {
      service: owning,
      function: undefined,
      title: `table write: ${table} ${read.eventName} ${keyText}${status}`,
      details: [
        ['table', table],
        ['change', String(read.eventName)],
        ['keys', keyText],
        ['stream record', `${hop.record?.dynamodb?.SequenceNumber ?? ''}, read by ${owner(hop.functionName).function}`],
        ...(hop.retry ? /** @type {string[][]} */ ([['then', 'read again: its batch failed']]) : []),
      ],
      failed: Boolean(hop.retry),
      correlationIds: unique([read.correlationId]),
      events: [],
      orderIds: read.orderIds,
      itemIds: read.itemIds,
      orderStatus: read.orderStatus,
      facts: { table, eventName: read.eventName, keys: read.keys, orderStatus: read.orderStatus },
      search: [table, keyText],
    };
  };

  const describeReplay = (hop) => {
    const event = hop.event ?? {};
    const ids = idsOfEvent(event.type, event.id, event.data);
    return {
      service: undefined,
      function: undefined,
      title: `console replayed ${event.type} ${event.id}${hop.edited ? ' (edited)' : ''} to the bus`,
      details: [
        ['event', `${event.type} ${event.id}`],
        ['SNS message id', String(hop.messageId ?? '')],
      ],
      failed: false,
      correlationIds: unique([event.correlationId]),
      events: [{ id: event.id, type: event.type, source: event.source, correlationId: event.correlationId }],
      ...ids,
      facts: { eventId: event.id, eventType: event.type, edited: Boolean(hop.edited) },
      search: [String(hop.messageId ?? '')],
    };
  };

  const DESCRIBE = { http: describeHttp, invoke: describeInvoke, sqs: describeSqs, stream: describeStream, replay: describeReplay };

  /** @param {Hop} hop @returns {HopView} */
  const view = (hop) => {
    const known = memo.get(hop);
    if (known) return known;
    const describe = DESCRIBE[hop.kind];
    const { search = [], ...described } = describe
      ? describe(hop)
      : { service: undefined, function: undefined, title: String(hop.kind), details: [], failed: false, correlationIds: [], events: [], orderIds: [], itemIds: [] };
    /** @type {HopView} */
    const result = {
      seq: /** @type {number} */ (hop.seq),
      at: hop.at,
      kind: /** @type {HopView['kind']} */ (hop.kind),
      orderStatus: undefined,
      ...described,
      terms: [...search, ...described.correlationIds, ...described.orderIds, ...described.itemIds, ...described.events.map((e) => e.id), described.service, described.function]
        .filter(Boolean)
        .join(' ')
        .toLowerCase(),
    };
    memo.set(hop, result);
    return result;
  };

  return { view };
};

// ---------------------------------------------------------------- flows

/**
 * The flows the hops make up, each with the seqs of its hops.
 * @param {HopView[]} views oldest first
 * @returns {Map<string, HopView[]>}
 */
export const groupFlows = (views) => {
  /** @type {Map<string, string>} order id → the correlation id of the first correlated hop that named it */
  const flowOfOrder = new Map();
  for (const view of views) {
    if (view.correlationIds.length === 0) continue;
    const [flow] = /** @type {[string]} */ (view.correlationIds);
    for (const orderId of view.orderIds) if (!flowOfOrder.has(orderId)) flowOfOrder.set(orderId, flow);
  }
  /** @type {Map<string, HopView[]>} */
  const flows = new Map();
  for (const view of views) {
    let keys = view.correlationIds;
    if (keys.length === 0) keys = view.orderIds.map((orderId) => flowOfOrder.get(orderId) ?? `order:${orderId}`);
    if (keys.length === 0) keys = view.events.map((event) => `event:${event.id}`);
    if (keys.length === 0) keys = view.itemIds.map((itemId) => `item:${itemId}`);
    if (keys.length === 0) keys = [`hop:${view.seq}`];
    for (const key of new Set(keys)) {
      const list = flows.get(key) ?? [];
      list.push(view);
      flows.set(key, list);
    }
  }
  return flows;
};

const ORDER_STATE_OF_EVENT = { 'order.placed': 'PENDING', 'order.confirmed': 'CONFIRMED', 'order.rejected': 'REJECTED' };

/** The order's latest state in a flow: the last order row written, else the last order event seen. */
const stateOf = (hops) => {
  for (let i = hops.length - 1; i >= 0; i -= 1) if (hops[i].orderStatus) return hops[i].orderStatus;
  for (let i = hops.length - 1; i >= 0; i -= 1) {
    const event = hops[i].events.find((e) => e.type in ORDER_STATE_OF_EVENT);
    if (event) return ORDER_STATE_OF_EVENT[event.type];
  }
  return undefined;
};

// Hops of one moment in the order they happen: a request, then the table write a
// poller read, the event, its delivery, and the invocation those started.
const RANK = { http: 0, replay: 0, stream: 1, event: 2, sqs: 3, invoke: 4 };
const byTime = (a, b) => a.at - b.at || (RANK[a.kind] ?? 5) - (RANK[b.kind] ?? 5) || a.seq - b.seq;

/**
 * @param {string} id @param {HopView[]} hops
 */
export const summarizeFlow = (id, hops) => {
  const sorted = [...hops].sort(byTime);
  const first = sorted[0];
  const http = sorted.find((hop) => hop.kind === 'http');
  const firstEvent = sorted.find((hop) => hop.events.length > 0)?.events[0];
  return {
    id,
    startedAt: first?.at,
    lastAt: sorted.at(-1)?.at,
    hopCount: sorted.length,
    failedCount: sorted.filter((hop) => hop.failed).length,
    services: unique(sorted.map((hop) => hop.service)),
    title: http ? `${http.facts?.method} ${http.facts?.path} → ${http.facts?.status}` : firstEvent ? `${firstEvent.type} ${firstEvent.id}` : (first?.title ?? id),
    orderIds: unique(sorted.flatMap((hop) => hop.orderIds)),
    itemIds: unique(sorted.flatMap((hop) => hop.itemIds)),
    state: stateOf(sorted),
    lastSeq: Math.max(...sorted.map((hop) => hop.seq)),
  };
};

/**
 * A flow's hops in order, with an `event` entry where each event first
 * appears (just before its first delivery), attributed to the invocation that
 * published it: the last outbox relay (a stream-triggered invocation) of the
 * event's source service, or the console's replay of it, that started before.
 * Each such invocation lists the events it published as `nextEvents`.
 * @param {HopView[]} hops
 */
export const flowEntries = (hops) => {
  const sorted = [...hops].sort(byTime);
  /** @type {Map<number, string[]>} */
  const nextEvents = new Map();
  const seen = new Set();
  /** @type {any[]} */
  const entries = [];
  for (const hop of sorted) {
    if (hop.kind === 'sqs') {
      for (const event of hop.events) {
        if (seen.has(event.id)) continue;
        seen.add(event.id);
        const publisher = [...entries]
          .reverse()
          .find(
            (entry) =>
              entry.at <= hop.at &&
              ((entry.kind === 'replay' && entry.events.some((e) => e.id === event.id)) ||
                (entry.kind === 'invoke' && entry.facts?.trigger === 'stream' && entry.service === event.source)),
          );
        if (publisher) nextEvents.set(publisher.seq, [...(nextEvents.get(publisher.seq) ?? []), `${event.type} ${event.id}`]);
        entries.push({
          kind: 'event',
          seq: hop.seq - 0.5,
          at: hop.at,
          service: event.source,
          title: `event ${event.type} ${event.id} on the bus${publisher ? `, published by ${publisher.kind === 'replay' ? 'the console' : publisher.function}` : ''}`,
          details: [
            ['type', event.type],
            ['id', event.id],
            ['source', event.source ?? ''],
            ['correlation id', event.correlationId ?? '(none)'],
          ],
          failed: false,
          events: [event],
          facts: { eventId: event.id, eventType: event.type, publishedBy: publisher?.seq },
        });
      }
    }
    entries.push(hop);
  }
  return entries.map((entry) => (nextEvents.has(entry.seq) ? { ...entry, nextEvents: nextEvents.get(entry.seq) } : entry));
};

/**
 * Whether a hop passes the page's filters.
 * @param {HopView} hop @param {{ service?: string, failedOnly?: boolean }} filters
 */
export const hopMatches = (hop, { service, failedOnly }) => (!service || hop.service === service) && (!failedOnly || hop.failed);

/**
 * Flows matching a search (order id, item id, event id, request id, any part
 * of them) and filters, newest first.
 * @param {HopView[]} views
 * @param {{ q?: string, service?: string, failedOnly?: boolean, limit?: number }} query
 */
export const searchFlows = (views, { q = '', service, failedOnly = false, limit = 200 }) => {
  const needle = q.trim().toLowerCase();
  const found = [];
  for (const [id, hops] of groupFlows(views)) {
    if (needle && !id.toLowerCase().includes(needle) && !hops.some((hop) => hop.terms.includes(needle))) continue;
    if ((service || failedOnly) && !hops.some((hop) => hopMatches(hop, { service, failedOnly }))) continue;
    found.push(summarizeFlow(id, hops));
  }
  return found.sort((a, b) => b.lastSeq - a.lastSeq).slice(0, limit);
};
