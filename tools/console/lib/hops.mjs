// What the console makes of the recorder's hops (tools/local-runtime/stack/recorder.mjs):
// a small view of each (service, function, event, entity keys, outcome), worked
// out once per hop and only when the console asks, and the flows they make up.
//
// The console knows no domain. It follows work across services by three things:
//  - the correlation id: the request id of the HTTP call that started a flow,
//    which the functions carry on in rows (`correlationId`), events (envelope
//    and SNS attribute) and logs;
//  - the entity keys the event contracts declare (libs/events EVENT_ENTITY_KEYS,
//    read at run time by contracts.mjs): for each event type, key name → the
//    field of its `data` that holds it, the first key being the event's subject.
//    A hop that carries an event names the entities its contract declares; a
//    table row (or an HTTP answer) names an entity by an attribute of a
//    declared key's name;
//  - the S3 objects a hop names (`s3Object` → `<bucket>/<key>`), a key of the
//    platform's own, not of any contract: an S3 request (`s3` hop), the
//    notification S3 sent for it (`s3-notification`), an SQS message that is an
//    S3 event notification (one thing per record, its key URL-decoded), and the
//    invocation that read it. So an upload made with a presigned POST, which
//    carries the correlation id of the request that granted it (its
//    x-amz-meta-correlation-id), is followed to the queue and the function that
//    processed it, though S3's notification carries no correlation id.
// A flow is one correlation id. A hop that carries none (an event published by
// hand, a message whose sender left it out, a row written outside any request,
// an S3 event notification) joins the flow of the first correlated hop that
// named its subject; else its subject (`<key name>:<value>`), else its event id,
// makes its flow. A scheduled run (the schedule's hop and the invocation it
// started) is a flow of its own, `schedule:<run id>`; so is S3's test event
// (`s3:TestEvent`, sent when a bucket's notifications are configured), as
// `s3-test:<message id>`, with the invocation that read it. An S3 call a
// function made that names neither a correlation id nor an object a flow knows
// (the copy it wrote elsewhere) joins the flows of the invocations of that
// function running at the time (by the s3 hop's `at` and caller); a raw message
// a function published (no envelope, no correlation id) joins the flow of the
// invocation of that function running then, when only one was (else it cannot
// be told whose, and makes a flow of its own, `hop:<seq>`). A batch carries
// several flows' things: it shows in each of those flows, but a flow's header
// names only its own entities (summarizeFlow).
//
// The hop kinds read here: http, invoke, sqs, stream, replay, schedule, publish
// (an SNS Publish or PublishBatch a function made, as the local IAM proxy let it
// through: functionName, topicArn, messages [{ body, attributes, subject? }]), and the
// local S3 front's s3 (a request: operation, bucket, key, status, caller (a
// function's name, or `presigned by <name>`), durationMs, correlationId?, bytes?,
// why? when refused, copySource? of a copy) and s3-notification (bucket, key,
// eventName, queueArn, messageId, correlationId?). An s3 hop with a status of
// 400 or more (or none) failed: S3 refused it.
//
// An event appears where it was published: each message of a `publish` hop
// whose body is the platform's envelope ({id, type, version, occurredAt,
// source, correlationId?, data}; any other body is a raw message) is an event
// on the bus, attributed to the function that published it, subscribed to or
// not. Its deliveries (sqs hops) follow as their own hops; an event is shown
// once, by its id. Where no publish was recorded (LOCAL_IAM=off: the functions
// reach the emulator past the IAM proxies; or the hop left the ring buffer), an
// event appears when a queue delivers it, attributed to the outbox relay
// invocation of its source service (or the console's own replay) that ran just before.
import { unmarshall } from '@aws-sdk/util-dynamodb';

/** @typedef {import('@platform/local-runtime/stack/recorder').Hop} Hop */

/**
 * Event type → { entity key name → the field of the event's data that holds it }.
 * @typedef {Record<string, Record<string, string>>} EntityKeys
 */

/**
 * One entity a hop names: [key name, value].
 * @typedef {[string, string]} EntityRef
 */

/**
 * An S3 object a hop names.
 * @typedef {{ bucket: string, key: string }} S3ObjectRef
 */

/**
 * @typedef {object} EventRef
 * @property {string} id
 * @property {string} type
 * @property {string} [source]
 * @property {string} [correlationId]
 */

/**
 * What the contracts say an entity's data looks like, per event type (its zod
 * data schema), to name the entity an answer holds when no attribute of it is
 * named like a key (an answer that is the entity itself, its key in `id`).
 * @typedef {Record<string, { safeParse: (value: unknown) => { success: boolean }, shape?: Record<string, unknown> } | undefined>} DataSchemas
 */

/**
 * @typedef {object} HopView
 * @property {number} seq
 * @property {number} at
 * @property {'http' | 'invoke' | 'sqs' | 'stream' | 'replay' | 'schedule' | 's3' | 's3-notification' | 'publish'} kind
 * @property {string | undefined} service
 * @property {string | undefined} function   the function's short name (handleEvents)
 * @property {string} title                  one line for a human
 * @property {string[][]} details           [term, value] pairs
 * @property {boolean} failed
 * @property {string[]} correlationIds
 * @property {EventRef[]} events             the events this hop carried
 * @property {Record<string, string[]>} entityKeys  the entities it names: key name → values (S3 objects under `s3Object`)
 * @property {S3ObjectRef[]} s3Objects     the S3 objects it names (a platform-level join key, carried in entityRefs as [`s3Object`, `<bucket>/<key>`])
 * @property {EntityRef[][]} entityRefs     per thing it carried (message, record, answer), the entities that names, its subject first
 * @property {Array<string | undefined>} refFlows  per thing of entityRefs, the correlation id it carried (a batch carries several flows' things)
 * @property {string | undefined} flowKey    the flow of a hop that carries no correlation id nor entity (a scheduled run: `schedule:<run id>`)
 * @property {string | undefined} rowStatus  a row's `status` attribute after a table write
 * @property {Record<string, unknown>} [facts]  kind-specific fields the page and the tests read
 * @property {string} terms                  what search looks in, lower case
 */

/**
 * A flow's entry: a hop's view, or an event on the bus between two hops.
 * @typedef {Omit<HopView, 'kind' | 'terms' | 'entityRefs' | 'refFlows' | 'flowKey' | 's3Objects'> & { kind: HopView['kind'] | 'event', terms?: string, entityRefs?: EntityRef[][], refFlows?: Array<string | undefined>, flowKey?: string, s3Objects?: S3ObjectRef[], nextEvents?: string[] }} FlowEntry
 */

/** @param {unknown} text @returns {any} */
const parseJson = (text) => {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** @param {unknown} value @returns {value is string} */
const isText = (value) => typeof value === 'string' && value !== '';

/** @param {unknown[]} list @returns {string[]} */
const unique = (list) => [...new Set(list.filter(isText))];

/** The queue's name from its ARN. @param {unknown} arn */
const queueName = (arn) => String(arn ?? '').split(':').pop() ?? '';
/** The table's name from its stream's ARN (`…:table/<name>/stream/<label>`). @param {unknown} arn */
const tableOfStream = (arn) => String(arn ?? '').split(':table/')[1]?.split('/')[0] ?? '';

/**
 * The event envelope in a message body: raw delivery gives the envelope
 * itself; an SNS notification wrapper is unwrapped.
 * @param {unknown} body
 * @returns {Record<string, any> | undefined}
 */
export const envelopeOf = (body) => {
  let parsed = parseJson(body);
  if (parsed?.Type === 'Notification' && typeof parsed.Message === 'string') parsed = parseJson(parsed.Message);
  return parsed && typeof parsed === 'object' && typeof parsed.type === 'string' ? parsed : undefined;
};

/**
 * The platform's event envelope a published message's body is ({id, type,
 * version, occurredAt, source, correlationId?, data}), or undefined: a raw message.
 * @param {unknown} body
 * @returns {Record<string, any> | undefined}
 */
export const publishedEnvelopeOf = (body) => {
  const parsed = parseJson(body);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const { id, type, version, occurredAt, source, data } = parsed;
  const isEnvelope = isText(id) && isText(type) && version !== undefined && isText(occurredAt) && isText(source) && data !== null && typeof data === 'object';
  return isEnvelope && (parsed.correlationId === undefined || typeof parsed.correlationId === 'string') ? parsed : undefined;
};

/** At most `length` characters of a text, for one line. @param {string} text @param {number} [length] */
const clip = (text, length = 300) => (text.length > length ? `${text.slice(0, length)}…` : text);

/** The key name the S3 objects a hop names go by among its entity refs: the platform's own, no contract's. */
export const S3_OBJECT_KEY = 's3Object';

/** @param {string} bucket @param {string} key @returns {EntityRef} */
const objectRef = (bucket, key) => [S3_OBJECT_KEY, `${bucket}/${key}`];

/** An object key as S3 event notifications write it (URL-encoded, spaces as `+`), decoded. @param {string} key */
const decodeKey = (key) => {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
};

/**
 * @typedef {{ bucket: string, key: string, eventName: string, size: number | undefined }} S3EventRecord
 */

/**
 * The S3 event notification a message body holds (S3 → SQS, or through SNS): its
 * records' objects, or S3's test event (`s3:TestEvent`, which names no object).
 * @param {unknown} body
 * @returns {{ test: false, records: S3EventRecord[] } | { test: true, bucket: string | undefined } | undefined}
 */
export const s3EventOf = (body) => {
  let parsed = parseJson(body);
  if (parsed?.Type === 'Notification' && typeof parsed.Message === 'string') parsed = parseJson(parsed.Message);
  if (!parsed || typeof parsed !== 'object') return undefined;
  if (parsed.Event === 's3:TestEvent') return { test: true, bucket: isText(parsed.Bucket) ? parsed.Bucket : undefined };
  if (!Array.isArray(parsed.Records)) return undefined;
  /** @type {S3EventRecord[]} */
  const records = parsed.Records.flatMap((/** @type {any} */ record) =>
    record?.eventSource === 'aws:s3' && isText(record.s3?.bucket?.name) && isText(record.s3?.object?.key)
      ? [{ bucket: record.s3.bucket.name, key: decodeKey(record.s3.object.key), eventName: String(record.eventName ?? ''), size: typeof record.s3.object.size === 'number' ? record.s3.object.size : undefined }]
      : [],
  );
  return records.length > 0 ? { test: false, records } : undefined;
};

/** The object an `x-amz-copy-source` names (`[/]<bucket>/<key>`, URL-encoded), if any. @param {unknown} source @returns {S3ObjectRef | undefined} */
const copySourceOf = (source) => {
  if (!isText(source)) return undefined;
  const [path = ''] = source.replace(/^\//, '').split('?');
  const slash = path.indexOf('/');
  if (slash <= 0) return undefined;
  try {
    return { bucket: decodeURIComponent(path.slice(0, slash)), key: decodeURIComponent(path.slice(slash + 1)) };
  } catch {
    return undefined;
  }
};

/**
 * The key names rows are read for, most often an event's subject first (so a
 * row's subject is the entity the contracts most often make theirs).
 * @param {EntityKeys} entityKeys
 */
export const keyNamesOf = (entityKeys) => {
  /** @type {Map<string, number>} */
  const subjectOf = new Map();
  for (const keys of Object.values(entityKeys)) {
    Object.keys(keys).forEach((name, index) => subjectOf.set(name, (subjectOf.get(name) ?? 0) + (index === 0 ? 1 : 0)));
  }
  return [...subjectOf.keys()].sort((a, b) => (subjectOf.get(b) ?? 0) - (subjectOf.get(a) ?? 0));
};

/** @param {EntityRef[][]} refs @returns {Record<string, string[]>} */
const keysOf = (refs) => {
  /** @type {Record<string, string[]>} */
  const keys = {};
  for (const [name, value] of refs.flat()) if (!keys[name]?.includes(value)) (keys[name] ??= []).push(value);
  return keys;
};

/** @param {Record<string, string[]>} keys */
const keysText = (keys) =>
  Object.entries(keys)
    .map(([name, values]) => `${name}=${values.join(',')}`)
    .join(' ');

/**
 * How an invocation ended, in words, and whether that is a failure.
 * @param {any} result @param {string} trigger
 * @returns {{ failed: boolean, text: string, statusCode?: number, batchItemFailures?: string[] }}
 */
const outcomeOf = (result, trigger) => {
  if (!result) return { failed: true, text: 'no result' };
  // What API Gateway answers for a failed invocation (gateway/http-api-response.mjs): the client saw that, never the cause.
  if (!result.ok && trigger === 'http') {
    const statusCode = result.kind === 'throttled' ? 429 : 500;
    return { failed: true, text: `${statusCode} (${result.kind})`, statusCode };
  }
  if (!result.ok) return { failed: true, text: `${result.kind}: ${result.error}` };
  const payload = result.payload;
  if (trigger === 'http') {
    const status = payload && typeof payload === 'object' && 'statusCode' in payload ? Number(payload.statusCode) : 200;
    return { failed: !(status >= 100 && status < 500), text: String(status), statusCode: status };
  }
  /** @type {unknown[]} */
  const failures = Array.isArray(payload?.batchItemFailures) ? payload.batchItemFailures : [];
  if (failures.length > 0) {
    return { failed: true, text: `${failures.length} batch item failure(s)`, batchItemFailures: failures.map((f) => String(/** @type {any} */ (f)?.itemIdentifier)) };
  }
  return { failed: false, text: 'ok' };
};

/** @param {Record<string, any> | undefined} messageAttributes @param {string} valueKey @returns {Record<string, string | undefined>} */
const sqsAttributes = (messageAttributes, valueKey) =>
  Object.fromEntries(Object.entries(messageAttributes ?? {}).map(([name, value]) => [name, value?.[valueKey]]));

/**
 * @typedef {Omit<HopView, 'seq' | 'at' | 'kind' | 'terms' | 'entityKeys' | 's3Objects' | 'rowStatus' | 'refFlows' | 'flowKey'> & { rowStatus?: string, refFlows?: Array<string | undefined>, flowKey?: string, search: unknown[] }} Described
 */

/**
 * @param {{ services: string[], stage?: string, entityKeys?: EntityKeys, dataSchemas?: DataSchemas }} options
 *   the services' names, to tell whose a function is; the contracts' entity keys and data schemas (contracts.mjs)
 */
export const createHopViews = ({ services, stage = 'local', entityKeys = {}, dataSchemas = {} }) => {
  const byLength = [...services].sort((a, b) => b.length - a.length);
  const rowKeyNames = keyNamesOf(entityKeys);
  // The event types whose data an answer can be, most fields first; a one-field shape (`{id}`) would fit any answer.
  const shapes = Object.entries(dataSchemas)
    .flatMap(([type, schema]) => (schema && Object.hasOwn(entityKeys, type) && Object.keys(schema.shape ?? {}).length >= 2 ? [{ type, schema, size: Object.keys(schema.shape ?? {}).length }] : []))
    .sort((a, b) => b.size - a.size);

  /** @param {unknown} functionName @returns {{ service: string | undefined, function: string | undefined }} */
  const owner = (functionName) => {
    if (typeof functionName !== 'string' || !functionName) return { service: undefined, function: undefined };
    const service = byLength.find((name) => functionName.startsWith(`${name}-${stage}-`));
    return { service, function: service ? functionName.slice(service.length + stage.length + 2) : functionName };
  };

  /**
   * The entities an event names: its contract's keys, as the contract lists them (subject first).
   * @param {unknown} type @param {any} data @returns {EntityRef[]}
   */
  const refsOfEvent = (type, data) => {
    const keys = typeof type === 'string' && Object.hasOwn(entityKeys, type) ? entityKeys[type] : undefined;
    if (!keys || !data || typeof data !== 'object') return [];
    return Object.entries(keys).flatMap(([name, field]) => (isText(data[field]) ? [/** @type {EntityRef} */ ([name, data[field]])] : []));
  };

  /**
   * The entities a row (or any record of attributes) names: its attributes named like a declared key.
   * @param {any} row @returns {EntityRef[]}
   */
  const refsOfRow = (row) => (row && typeof row === 'object' ? rowKeyNames.flatMap((name) => (isText(row[name]) ? [/** @type {EntityRef} */ ([name, row[name]])] : [])) : []);

  /**
   * The entities an HTTP answer names: its attributes named like a key; else, when
   * the answer is an entity's data as a contract declares it (an entity with its
   * key in `id`), that entity, by the contract's key for it.
   * @param {any} answer @returns {EntityRef[]}
   */
  const refsOfAnswer = (answer) => {
    const named = refsOfRow(answer);
    if (named.length > 0 || !answer || typeof answer !== 'object' || Array.isArray(answer)) return named;
    const shape = shapes.find(({ schema }) => schema.safeParse(answer).success);
    return shape ? refsOfEvent(shape.type, answer).slice(0, 1) : [];
  };

  /**
   * What one SQS message carries: its event (from the SNS attributes the bus
   * publisher sets, else from the body) and the entities it names; or the S3
   * event notification it is (`s3`): the objects its records name, or S3's test event.
   * @param {{ body?: string, attributes: Record<string, string | undefined> }} message
   */
  const readMessage = ({ body, attributes }) => {
    const envelope = envelopeOf(body);
    const id = attributes.eventId ?? (typeof envelope?.id === 'string' ? envelope.id : undefined);
    const type = attributes.type ?? envelope?.type;
    const correlationId = attributes.correlationId ?? (typeof envelope?.correlationId === 'string' ? envelope.correlationId : undefined);
    /** @type {EventRef | undefined} */
    const event = id && type ? { id, type, source: typeof envelope?.source === 'string' ? envelope.source : undefined, correlationId } : undefined;
    const s3 = envelope ? undefined : s3EventOf(body);
    const objects = s3 && !s3.test ? s3.records : [];
    return {
      event,
      correlationId,
      refs: refsOfEvent(type, envelope?.data),
      s3,
      objects,
      // One thing per S3 record: a batch of notifications joins each upload's flow.
      objectRefs: objects.map(({ bucket, key }) => [objectRef(bucket, key)]),
    };
  };

  /** What an S3 event notification message is, in words. @param {ReturnType<typeof readMessage>['s3']} s3 */
  const s3Text = (s3) =>
    !s3
      ? ''
      : s3.test
        ? `S3's test event (s3:TestEvent${s3.bucket ? ` for ${s3.bucket}` : ''})`
        : `S3 ${s3.records.length > 1 ? `${s3.records.length} events: ` : ''}${s3.records.map((record) => `${record.eventName} ${record.key}`).join(', ')}`;

  /** The service whose resource (table, bucket, queue) this is, by its `<service>-<stage>-` prefix. @param {string} name */
  const ownerOfResource = (name) => byLength.find((service) => name.startsWith(`${service}-${stage}-`));

  /**
   * What a stream record says: table keys, change, the entities its row names, its status.
   * @param {any} record
   */
  const readStreamRecord = (record) => {
    const change = record?.dynamodb ?? {};
    /** @type {Record<string, unknown>} */
    const keys = change.Keys ? unmarshall(change.Keys) : {};
    /** @type {Record<string, unknown>} */
    const image = change.NewImage ? unmarshall(change.NewImage) : change.OldImage ? unmarshall(change.OldImage) : {};
    /** @type {string | undefined} */
    const eventName = record?.eventName;
    return {
      eventName,
      keys,
      refs: refsOfRow(image),
      correlationId: isText(image.correlationId) ? image.correlationId : undefined,
      rowStatus: eventName !== 'REMOVE' && isText(image.status) ? image.status : undefined,
      reason: isText(image.reason) ? image.reason : undefined,
    };
  };

  /** @param {any} hop @returns {Described} */
  const describeHttp = (hop) => {
    const path = String(hop.path ?? '');
    const failed = typeof hop.status !== 'number' || hop.status >= 500;
    // What the client got, and, when the function failed, how (the gateway's `failure`: timeout, function-error, …).
    const got = `${hop.status}${hop.failure ? ` ${hop.failure}` : ''}`;
    return {
      service: hop.service,
      function: owner(hop.functionName).function,
      title: `${hop.method} ${path} → ${got} (${hop.durationMs} ms)`,
      details: [
        ['request id', String(hop.requestId)],
        ['route', hop.service ? `${hop.service}${hop.functionName ? ` / ${owner(hop.functionName).function}` : ''}` : 'no route'],
        ...(hop.why ? [[hop.failure ? 'why' : 'note', String(hop.why)]] : []),
        ...(hop.writes ? [['writes', String(hop.writes)]] : []),
      ],
      failed,
      correlationIds: unique([hop.requestId]),
      events: [],
      entityRefs: [],
      facts: { method: hop.method, path, status: hop.status, requestId: hop.requestId, durationMs: hop.durationMs, failure: hop.failure, writes: hop.writes },
      search: [hop.requestId, path],
    };
  };

  /** @param {any} hop @returns {Described} */
  const describeInvoke = (hop) => {
    const who = owner(hop.functionName);
    const event = hop.event ?? {};
    /** @type {any[]} */
    const records = Array.isArray(event.Records) ? event.Records : [];
    const trigger = hop.trigger?.kind === 'schedule'
      ? 'schedule'
      : event.requestContext
        ? 'http'
        : records[0]?.eventSource === 'aws:sqs'
          ? 'sqs'
          : records[0]?.eventSource === 'aws:dynamodb'
            ? 'stream'
            : 'direct';
    const outcome = outcomeOf(hop.result, trigger);
    const base = { service: who.service, function: who.function, failed: outcome.failed };
    if (trigger === 'http') {
      const requestId = event.requestContext?.requestId;
      const answer = hop.result?.ok ? parseJson(hop.result.payload?.body) : undefined;
      const failure = hop.result && !hop.result.ok ? hop.result : undefined;
      return {
        ...base,
        title: `invoked by ${event.requestContext?.http?.method ?? ''} ${event.rawPath ?? ''}: ${outcome.text} (${hop.durationMs} ms)`,
        details: [
          ['trigger', `HTTP ${event.routeKey ?? ''}`],
          ['duration', `${hop.durationMs} ms`],
          ['result', failure ? `the client got ${outcome.statusCode}` : outcome.text],
          ...(failure ? [['why', `${failure.kind}: ${failure.error}`]] : []),
        ],
        correlationIds: unique([requestId]),
        events: [],
        // The answer names the entities its attributes of a declared key's name hold (or the entity it is).
        entityRefs: [refsOfAnswer(answer)],
        refFlows: [requestId],
        facts: { trigger, durationMs: hop.durationMs, outcome: outcome.text, statusCode: outcome.statusCode, ...(failure && { failure: failure.kind }) },
        search: [requestId, hop.functionName],
      };
    }
    if (trigger === 'schedule') {
      return {
        ...base,
        title: `invoked by a schedule: ${outcome.text} (${hop.durationMs} ms)`,
        details: [
          ['trigger', 'schedule'],
          ['duration', `${hop.durationMs} ms`],
          ['result', outcome.text],
        ],
        correlationIds: [],
        events: [],
        entityRefs: [],
        flowKey: `schedule:${hop.trigger.id}`,
        facts: { trigger, durationMs: hop.durationMs, outcome: outcome.text },
        search: [hop.functionName, hop.trigger.id],
      };
    }
    if (trigger === 'sqs') {
      const read = records.map((record) => readMessage({ body: record.body, attributes: sqsAttributes(record.messageAttributes, 'stringValue') }));
      const failedIds = new Set(outcome.batchItemFailures ?? []);
      const failedEvents = records.flatMap((record, i) => {
        const failedEvent = failedIds.has(record.messageId) ? read[i]?.event : undefined;
        return failedEvent ? [failedEvent.id] : [];
      });
      const objects = read.flatMap((r) => r.objects);
      const testEvent = records.find((_, i) => read[i]?.s3?.test);
      return {
        ...base,
        title: `invoked with ${records.length} message(s) from ${queueName(records[0]?.eventSourceARN)}: ${outcome.text} (${hop.durationMs} ms)`,
        details: [
          ['trigger', `SQS ${queueName(records[0]?.eventSourceARN)}, batch of ${records.length}`],
          ['duration', `${hop.durationMs} ms`],
          ['result', outcome.text],
          ...(failedEvents.length > 0 ? [['failed records', failedEvents.join(', ')]] : []),
          ...(objects.length > 0 ? [['S3 objects', objects.map(({ eventName, bucket, key }) => `${eventName} ${bucket}/${key}`).join(', ')]] : []),
          ...(testEvent ? [['S3 event', 's3:TestEvent']] : []),
        ],
        correlationIds: unique(read.map((r) => r.correlationId)),
        events: read.flatMap((r) => (r.event ? [r.event] : [])),
        entityRefs: read.flatMap((r) => [r.refs, ...r.objectRefs]),
        refFlows: read.flatMap((r) => [r.correlationId, ...r.objectRefs.map(() => undefined)]),
        ...(testEvent && { flowKey: `s3-test:${testEvent.messageId}` }),
        facts: { trigger, durationMs: hop.durationMs, outcome: outcome.text, batchSize: records.length, batchItemFailures: outcome.batchItemFailures ?? [] },
        search: [hop.functionName, ...records.map((record) => record.messageId), ...objects.flatMap((record) => [record.bucket, record.key])],
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
        entityRefs: read.map((r) => r.refs),
        refFlows: read.map((r) => r.correlationId),
        facts: { trigger, durationMs: hop.durationMs, outcome: outcome.text, batchSize: records.length, batchItemFailures: outcome.batchItemFailures ?? [] },
        search: [hop.functionName],
      };
    }
    return {
      ...base,
      title: `invoked: ${outcome.text} (${hop.durationMs} ms)`,
      details: [
        ['duration', `${hop.durationMs} ms`],
        ['result', outcome.text],
      ],
      correlationIds: [],
      events: [],
      entityRefs: [],
      facts: { trigger, durationMs: hop.durationMs, outcome: outcome.text },
      search: [hop.functionName],
    };
  };

  /** @param {any} hop @returns {Described} */
  const describeSqs = (hop) => {
    const message = hop.message ?? {};
    const who = owner(hop.functionName);
    const read = readMessage({ body: message.Body, attributes: sqsAttributes(message.MessageAttributes, 'StringValue') });
    const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? 1);
    const queue = queueName(hop.queueArn);
    const what = read.event ? `${read.event.type} ${read.event.id}` : read.s3 ? s3Text(read.s3) : 'a message that is no event';
    return {
      service: who.service,
      function: who.function,
      title: `${queue} delivered ${what} (receive #${receiveCount})${hop.retry ? `: left for retry${hop.reason ? ` (${hop.reason})` : ''}` : ''}`,
      details: [
        ['queue', queue],
        ['receive count', String(receiveCount)],
        ['message id', message.MessageId ?? ''],
        ...(read.s3?.test ? [['S3 event', 's3:TestEvent: S3 checking it may send to the queue; it names no object']] : []),
        ...read.objects.map(({ bucket, key, eventName, size }) => ['S3 event', `${eventName} ${bucket}/${key}${size !== undefined ? ` (${size} bytes)` : ''}`]),
        ['then', hop.retry ? `left on the queue for another receive${hop.reason ? `: ${hop.reason}` : ''}` : `deleted (handled by ${who.function})`],
      ],
      failed: Boolean(hop.retry),
      correlationIds: unique([read.correlationId]),
      events: read.event ? [read.event] : [],
      entityRefs: [read.refs, ...read.objectRefs],
      refFlows: [read.correlationId, ...read.objectRefs.map(() => undefined)],
      ...(read.s3?.test && { flowKey: `s3-test:${message.MessageId}` }),
      facts: {
        queue,
        receiveCount,
        messageId: message.MessageId,
        retry: Boolean(hop.retry),
        eventId: read.event?.id,
        eventType: read.event?.type,
        ...(read.s3 && { s3Event: read.s3.test ? 's3:TestEvent' : read.objects.map((record) => record.eventName) }),
      },
      search: [message.MessageId, queue, ...(read.s3?.test ? ['s3:TestEvent', read.s3.bucket] : []), ...read.objects.flatMap((record) => [record.bucket, record.key, record.eventName])],
    };
  };

  /** @param {any} hop @returns {Described} */
  const describeStream = (hop) => {
    const read = readStreamRecord(hop.record);
    const table = tableOfStream(hop.streamArn);
    const owning = ownerOfResource(table);
    const keyText = Object.entries(read.keys)
      .sort(([a], [b]) => (a === 'pk' ? -1 : b === 'pk' ? 1 : a.localeCompare(b)))
      .map(([name, value]) => `${name}=${value}`)
      .join(' ');
    const status = read.rowStatus ? ` → ${read.rowStatus}${read.reason ? ` (${read.reason})` : ''}` : '';
    return {
      service: owning,
      function: undefined,
      title: `table write: ${table} ${read.eventName} ${keyText}${status}`,
      details: [
        ['table', table],
        ['change', String(read.eventName)],
        ['keys', keyText],
        ['stream record', `${hop.record?.dynamodb?.SequenceNumber ?? ''}, read by ${owner(hop.functionName).function}`],
        ...(hop.retry ? [['then', 'read again: its batch failed']] : []),
      ],
      failed: Boolean(hop.retry),
      correlationIds: unique([read.correlationId]),
      events: [],
      entityRefs: [read.refs],
      refFlows: [read.correlationId],
      rowStatus: read.rowStatus,
      facts: { table, eventName: read.eventName, keys: read.keys, rowStatus: read.rowStatus },
      search: [table, keyText],
    };
  };

  /** @param {any} hop @returns {Described} */
  const describeReplay = (hop) => {
    const event = hop.event ?? {};
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
      entityRefs: [refsOfEvent(event.type, event.data)],
      refFlows: [isText(event.correlationId) ? event.correlationId : undefined],
      facts: { eventId: event.id, eventType: event.type, edited: Boolean(hop.edited) },
      search: [String(hop.messageId ?? '')],
    };
  };

  /** @param {any} hop @returns {Described} */
  const describeSchedule = (hop) => {
    const who = owner(hop.functionName);
    return {
      service: who.service,
      function: who.function,
      title: `schedule ${hop.expression} started a run${hop.attempt > 1 ? ` (attempt ${hop.attempt})` : ''}`,
      details: [
        ['schedule', String(hop.name)],
        ['expression', String(hop.expression)],
        ['target', String(hop.functionName)],
        ...(hop.attempt > 1 ? [['attempt', `${hop.attempt}: the earlier one failed, and Lambda retries an asynchronous invocation`]] : []),
      ],
      failed: false,
      correlationIds: [],
      events: [],
      entityRefs: [],
      flowKey: `schedule:${hop.runId}`,
      facts: { name: hop.name, expression: hop.expression, runId: hop.runId, attempt: hop.attempt },
      search: [hop.name, hop.runId, hop.functionName],
    };
  };

  /**
   * An invocation with the runtime it ran on, as its serverless-offline reported it, beside the one it deploys to.
   * @param {any} hop @returns {Described}
   */
  const describeInvokeWithRuntime = (hop) => {
    const described = describeInvoke(hop);
    if (!hop.runtime) return described;
    const { node, deployed } = hop.runtime;
    return {
      ...described,
      details: [...described.details, ['runtime', `node ${node ?? 'unknown'}${deployed ? ` (deploys to ${deployed})` : ''}`]],
      facts: { ...described.facts, runtime: { node, deployed } },
    };
  };

  /**
   * A request to S3 as the local S3 front saw it: a function's own call (caller
   * is its name), or a client's with a URL a function presigned (`presigned by <name>`).
   * @param {any} hop @returns {Described}
   */
  const describeS3 = (hop) => {
    const caller = String(hop.caller ?? '');
    const presignedBy = caller.startsWith('presigned by ') ? caller.slice('presigned by '.length) : undefined;
    const who = owner(presignedBy ?? caller);
    const bucket = String(hop.bucket ?? '');
    const key = String(hop.key ?? '');
    const operation = String(hop.operation ?? 'request');
    const status = hop.status;
    const failed = typeof status !== 'number' || status >= 400;
    const bytes = typeof hop.bytes === 'number' ? hop.bytes : undefined;
    const correlationId = isText(hop.correlationId) ? hop.correlationId : undefined;
    const why = isText(hop.why) ? hop.why : undefined;
    const source = copySourceOf(hop.copySource);
    /** @type {S3ObjectRef[]} */
    const objects = [...(source ? [source] : []), ...(bucket && key ? [{ bucket, key }] : [])];
    return {
      service: who.service ?? ownerOfResource(bucket),
      // A client's upload with a presigned URL is not the function's own call: the page names no function for it.
      function: presignedBy ? undefined : who.function,
      title: `S3 ${operation} ${key} ${status ?? 'no answer'}${bytes !== undefined ? ` (${bytes} bytes)` : ''}${failed ? ` refused${why ? `: ${why}` : ''}` : ''}`,
      details: [
        ['bucket', bucket],
        ['key', key],
        ...(source ? [['copied from', `${source.bucket}/${source.key}`]] : []),
        ['status', `${status ?? 'no answer'}${failed ? ' (refused)' : ''}`],
        ...(why ? [['why', why]] : []),
        ...(bytes !== undefined ? [['bytes', String(bytes)]] : []),
        ['caller', presignedBy ? `a client, with a URL presigned by ${presignedBy}` : caller || '(unsigned)'],
        ['duration', `${hop.durationMs} ms`],
        ...(correlationId ? [['correlation id', correlationId]] : []),
      ],
      failed,
      correlationIds: unique([correlationId]),
      events: [],
      // The object it read or wrote (a copy: its source first, which names the flow it joins).
      entityRefs: [objects.map((object) => objectRef(object.bucket, object.key))],
      refFlows: [correlationId],
      facts: { operation, bucket, key, status, bytes, caller, presignedBy, why, durationMs: hop.durationMs, ...(source && { copySource: source }) },
      search: [bucket, key, operation, caller, why],
    };
  };

  /** The notification S3 sent a queue for an object (from the bucket's notification configuration). @param {any} hop @returns {Described} */
  const describeS3Notification = (hop) => {
    const bucket = String(hop.bucket ?? '');
    const key = String(hop.key ?? '');
    const eventName = String(hop.eventName ?? '');
    const queueFull = queueName(hop.queueArn);
    const queueOwner = ownerOfResource(queueFull);
    const queue = queueOwner ? queueFull.slice(queueOwner.length + stage.length + 2) : queueFull;
    const correlationId = isText(hop.correlationId) ? hop.correlationId : undefined;
    return {
      service: ownerOfResource(bucket) ?? queueOwner,
      function: undefined,
      title: `S3 → queue ${queue}: ${eventName} ${key}`,
      details: [
        ['bucket', bucket],
        ['key', key],
        ['event', eventName],
        ['queue', queueFull],
        ['message id', String(hop.messageId ?? '')],
        ...(correlationId ? [['correlation id', correlationId]] : []),
      ],
      failed: false,
      correlationIds: unique([correlationId]),
      events: [],
      entityRefs: [bucket && key ? [objectRef(bucket, key)] : []],
      refFlows: [correlationId],
      facts: { bucket, key, eventName, queue: queueFull, messageId: hop.messageId },
      search: [bucket, key, eventName, queueFull, hop.messageId],
    };
  };

  /**
   * What one published message carries: the event its body is (the
   * envelope's correlation id, else the attribute's) and the entities its
   * contract names; or, for a raw message, its body and attributes.
   * @param {any} message
   */
  const readPublished = (message) => {
    const body = typeof message?.body === 'string' ? message.body : '';
    /** @type {Record<string, string>} */
    const attributes = message?.attributes && typeof message.attributes === 'object' ? message.attributes : {};
    const subject = isText(message?.subject) ? message.subject : undefined;
    const envelope = publishedEnvelopeOf(body);
    const correlationId = isText(envelope?.correlationId) ? envelope.correlationId : isText(attributes.correlationId) ? attributes.correlationId : undefined;
    /** @type {EventRef | undefined} */
    const event = envelope ? { id: envelope.id, type: envelope.type, source: envelope.source, correlationId } : undefined;
    return { event, correlationId, refs: envelope ? refsOfEvent(envelope.type, envelope.data) : [], body, attributes, subject };
  };

  /**
   * An SNS Publish or PublishBatch a function made (recorded by the local IAM
   * proxy once the emulator took it): the events it put on the topic, or the raw messages.
   * @param {any} hop @returns {Described}
   */
  const describePublish = (hop) => {
    const who = owner(hop.functionName);
    const topicArn = String(hop.topicArn ?? '');
    const topic = queueName(topicArn);
    /** @type {any[]} */
    const messages = Array.isArray(hop.messages) ? hop.messages : [];
    const read = messages.map(readPublished);
    /** @param {ReturnType<typeof readPublished>} r */
    const attributesText = (r) => Object.entries(r.attributes).map(([name, value]) => `${name}=${value}`).join(' ');
    const what = read.map((r) => (r.event ? `${r.event.type} ${r.event.id}` : `a message${r.subject ? ` "${clip(r.subject, 60)}"` : ''}`));
    return {
      service: who.service,
      function: who.function,
      title: `published ${what.length > 3 ? `${what.length} messages` : what.join(', ') || 'nothing'} to ${topic}`,
      details: [
        ['topic', topicArn],
        ...read.map((r) =>
          r.event
            ? ['event', `${r.event.type} ${r.event.id}${r.correlationId ? `, correlation id ${r.correlationId}` : ''}`]
            : ['message', `${r.subject ? `${r.subject}: ` : ''}${clip(r.body)}${Object.keys(r.attributes).length > 0 ? ` (attributes ${attributesText(r)})` : ''}`],
        ),
      ],
      failed: false,
      correlationIds: unique(read.map((r) => r.correlationId)),
      events: read.flatMap((r) => (r.event ? [r.event] : [])),
      entityRefs: read.map((r) => r.refs),
      refFlows: read.map((r) => r.correlationId),
      facts: {
        topic,
        topicArn,
        messages: read.map((r) => (r.event ? { eventId: r.event.id, eventType: r.event.type, correlationId: r.correlationId, refs: r.refs } : { raw: clip(r.body), subject: r.subject, attributes: r.attributes, correlationId: r.correlationId })),
      },
      search: [topicArn, hop.functionName, ...read.map((r) => r.subject)],
    };
  };

  /** @type {Record<string, (hop: any) => Described>} */
  const DESCRIBE = {
    http: describeHttp,
    invoke: describeInvokeWithRuntime,
    sqs: describeSqs,
    stream: describeStream,
    replay: describeReplay,
    schedule: describeSchedule,
    s3: describeS3,
    's3-notification': describeS3Notification,
    publish: describePublish,
  };

  /** @type {WeakMap<Hop, HopView>} */
  const memo = new WeakMap();

  /** @param {Hop} hop @returns {HopView} */
  const view = (hop) => {
    const known = memo.get(hop);
    if (known) return known;
    const describe = DESCRIBE[hop.kind];
    /** @type {Described} */
    const described = describe
      ? describe(hop)
      : { service: undefined, function: undefined, title: String(hop.kind), details: [], failed: false, correlationIds: [], events: [], entityRefs: [], search: [] };
    const { search, rowStatus, refFlows: flowsOfRefs = [], flowKey, ...rest } = described;
    const kept = rest.entityRefs.flatMap((refs, i) => (refs.length > 0 ? [i] : []));
    const entityRefs = kept.map((i) => /** @type {EntityRef[]} */ (rest.entityRefs[i]));
    const refFlows = kept.map((i) => flowsOfRefs[i]);
    const keys = keysOf(entityRefs);
    /** @type {HopView} */
    const result = {
      seq: /** @type {number} */ (hop.seq),
      at: hop.at,
      kind: hop.kind,
      ...rest,
      details: Object.keys(keys).length > 0 ? [...rest.details, ['entity keys', keysText(keys)]] : rest.details,
      entityRefs,
      refFlows,
      flowKey,
      entityKeys: keys,
      s3Objects: (keys[S3_OBJECT_KEY] ?? []).map((ref) => {
        const slash = ref.indexOf('/');
        return { bucket: ref.slice(0, slash), key: ref.slice(slash + 1) };
      }),
      rowStatus,
      terms: [...search, ...rest.correlationIds, ...Object.values(keys).flat(), ...rest.events.map((e) => e.id), rest.service, rest.function]
        .filter(isText)
        .join(' ')
        .toLowerCase(),
    };
    memo.set(hop, result);
    return result;
  };

  return { view, keyNames: rowKeyNames };
};

// ---------------------------------------------------------------- flows

/** @param {EntityRef} ref */
const refId = ([name, value]) => `${name}=${value}`;

/**
 * The flows the hops make up: flow id → its hops.
 * @param {HopView[]} views oldest first
 * @returns {Map<string, HopView[]>}
 */
export const groupFlows = (views) => {
  /** @type {Map<string, string>} `name=value` of an entity → the correlation id of the first correlated hop that named it */
  const flowOfEntity = new Map();
  for (const view of views) {
    const [flow] = view.correlationIds;
    if (flow === undefined) continue;
    for (const ref of view.entityRefs.flat()) if (!flowOfEntity.has(refId(ref))) flowOfEntity.set(refId(ref), flow);
  }
  /** @param {HopView} view @returns {string[]} the flows it joins by what it carries */
  const carried = (view) => {
    let keys = view.correlationIds;
    // Uncorrelated: each thing it carried joins its subject's flow, else makes one of its subject.
    if (keys.length === 0) keys = view.entityRefs.flatMap(([subject]) => (subject ? [flowOfEntity.get(refId(subject)) ?? `${subject[0]}:${subject[1]}`] : []));
    if (keys.length === 0) keys = view.events.map((event) => `event:${event.id}`);
    if (keys.length === 0 && view.flowKey) keys = [view.flowKey];
    return keys;
  };
  /** @type {Map<string, HopView[]>} a function (`<service>/<function>`) → its invocations */
  const invocations = new Map();
  for (const view of views) {
    if (view.kind !== 'invoke' || !view.function) continue;
    const name = `${view.service}/${view.function}`;
    invocations.set(name, [...(invocations.get(name) ?? []), view]);
  }
  /**
   * An S3 call a function made, naming no correlation id nor an object any
   * flow knows (the image it wrote): the flows of the invocations of that
   * function that were running then. A message it published that names no
   * correlation id nor entity (a raw message): the flow of the invocation of
   * that function running then, if only one was.
   * @param {HopView} view
   */
  const callersFlows = (view) => {
    const subject = view.entityRefs[0]?.[0];
    if (!view.function || view.correlationIds.length > 0) return [];
    if (view.kind === 's3' ? subject && flowOfEntity.has(refId(subject)) : view.kind !== 'publish' || view.entityRefs.length > 0) return [];
    const running = (invocations.get(`${view.service}/${view.function}`) ?? []).filter((run) => run.at <= view.at && view.at <= run.at + Number(run.facts?.durationMs ?? 0));
    // A message is one invocation's: with several of that function running then, it cannot be told whose, and makes a flow of its own.
    if (view.kind === 'publish' && running.length !== 1) return [];
    return running.flatMap(carried);
  };
  /** @type {Map<string, HopView[]>} */
  const flows = new Map();
  for (const view of views) {
    let keys = callersFlows(view);
    if (keys.length === 0) keys = carried(view);
    if (keys.length === 0) keys = [`hop:${view.seq}`];
    for (const key of new Set(keys)) {
      const list = flows.get(key) ?? [];
      list.push(view);
      flows.set(key, list);
    }
  }
  return flows;
};

/** The status a flow reached: the `status` attribute of the last row written that has one. @param {HopView[]} hops */
const statusOf = (hops) => hops.findLast((hop) => hop.rowStatus)?.rowStatus;

// Hops of one moment as they happen, one after another: a request (or an S3 upload), then the
// table write a poller read, the event (or S3's notification), its delivery, and the invocation those started.
/** @type {Record<string, number>} */
const RANK = { http: 0, replay: 0, schedule: 0, s3: 1, stream: 1, event: 2, publish: 2, 's3-notification': 2, sqs: 3, invoke: 4 };
/** @param {{ at: number, kind: string, seq: number }} a @param {{ at: number, kind: string, seq: number }} b */
const byTime = (a, b) => a.at - b.at || (RANK[a.kind] ?? 5) - (RANK[b.kind] ?? 5) || a.seq - b.seq;

/**
 * The entities that are the flow's own: what the things of its hops that carry
 * its correlation id name, and what uncorrelated things name when they joined
 * it by an entity it already names (or by their subject, or are all their hop
 * carried). A batch that also carried other flows' records adds nothing of theirs.
 * @param {string} id @param {HopView[]} hops
 * @returns {EntityRef[]}
 */
const ownRefs = (id, hops) => {
  /** @type {EntityRef[]} */
  const own = [];
  /** @type {Array<{ refs: EntityRef[], alone: boolean }>} */
  const uncorrelated = [];
  for (const hop of hops) {
    hop.entityRefs.forEach((refs, i) => {
      const flow = hop.refFlows?.[i];
      if (flow === id) own.push(...refs);
      else if (flow === undefined) uncorrelated.push({ refs, alone: hop.entityRefs.length === 1 });
    });
  }
  const named = new Set(own.map(refId));
  for (const { refs, alone } of uncorrelated) {
    const [subject] = refs;
    if (alone || (subject && (named.has(refId(subject)) || `${subject[0]}:${subject[1]}` === id))) own.push(...refs);
  }
  return own;
};

/**
 * The entity the flow's request created: the first entity its answer names, when
 * it was a POST or PUT that succeeded ("created <key name> <value>", in the list).
 * @param {string} id @param {HopView[]} sorted
 * @returns {{ name: string, value: string } | undefined}
 */
const createdBy = (id, sorted) => {
  const request = sorted.find((hop) => hop.kind === 'http' && hop.correlationIds.includes(id));
  const method = String(request?.facts?.method ?? '');
  const status = Number(request?.facts?.status);
  if (!request || !['POST', 'PUT'].includes(method) || !(status >= 200 && status < 300)) return undefined;
  const answer = sorted.find((hop) => hop.kind === 'invoke' && hop.facts?.trigger === 'http' && hop.correlationIds.includes(id));
  const first = answer?.entityRefs[0]?.[0];
  return first ? { name: first[0], value: first[1] } : undefined;
};

/**
 * @param {string} id @param {HopView[]} hops
 */
export const summarizeFlow = (id, hops) => {
  const sorted = [...hops].sort(byTime);
  const first = sorted[0];
  const http = sorted.find((hop) => hop.kind === 'http');
  // A batch publish carries other flows' events too: the flow's own first.
  const ownEvent = (/** @type {EventRef} */ event) => !event.correlationId || event.correlationId === id;
  const firstEvent = sorted.flatMap((hop) => hop.events).find(ownEvent) ?? sorted.find((hop) => hop.events.length > 0)?.events[0];
  const created = createdBy(id, sorted);
  return {
    id,
    startedAt: first?.at,
    lastAt: sorted.at(-1)?.at,
    hopCount: sorted.length,
    failedCount: sorted.filter((hop) => hop.failed).length,
    services: unique(sorted.map((hop) => hop.service)),
    title: http
      ? `${http.facts?.method} ${http.facts?.path} → ${http.facts?.status}${http.facts?.failure ? ` ${http.facts.failure}` : ''}`
      : firstEvent
        ? `${firstEvent.type} ${firstEvent.id}`
        : (first?.title ?? id),
    ...(created && { created }),
    entityKeys: keysOf([ownRefs(id, sorted)]),
    status: statusOf(sorted),
    lastSeq: Math.max(...sorted.map((hop) => hop.seq)),
  };
};

/**
 * A flow's hops by time, with an `event` entry where each event first
 * appears, once per event id:
 *  - where it was published (a `publish` hop), attributed to the function
 *    that published it; the invocation of that function running then lists it
 *    as `nextEvents`. The publish hop itself shows only for what the entries do
 *    not stand for: raw messages (no envelope), and an event published again;
 *  - else just before its first delivery (an `sqs` hop: no publish recorded),
 *    attributed to the last outbox relay (a stream-triggered invocation) of the
 *    event's source service, or the console's replay of it, that started before.
 * With the flow's id, a batch published for several flows shows in this one
 * only the events of its own: those carrying its correlation id, or, carrying
 * none, naming a subject another hop of the flow names (or the flow's own key).
 * @param {HopView[]} hops
 * @param {string} [id]  the flow's id (groupFlows)
 * @returns {FlowEntry[]}
 */
export const flowEntries = (hops, id) => {
  const sorted = [...hops].sort(byTime);
  /** @type {Map<number, string[]>} */
  const nextEvents = new Map();
  const seen = new Set();
  /** @type {FlowEntry[]} */
  const entries = [];
  /** @type {Set<string> | undefined} entities the flow's other hops name (worked out once, if a batch needs it) */
  let named;
  /**
   * Whether a published event is this flow's own.
   * @param {HopView} hop @param {EventRef} event @param {EntityRef | undefined} subject
   */
  const ownEvent = (hop, event, subject) => {
    if (id === undefined || hop.events.length <= 1) return true;
    if (event.correlationId) return event.correlationId === id;
    if (!subject) return id === `event:${event.id}`;
    if (id === `${subject[0]}:${subject[1]}`) return true;
    named ??= new Set(sorted.flatMap((other) => (other.kind === 'publish' ? [] : other.entityRefs.flat().map(refId))));
    return named.has(refId(subject));
  };
  /**
   * The entry of an event on the bus.
   * @param {HopView} hop @param {EventRef} event @param {Record<string, string[]>} entityKeys
   * @param {FlowEntry | undefined} publisher @param {string | undefined} publishedBy
   * @returns {FlowEntry}
   */
  const eventEntry = (hop, event, entityKeys, publisher, publishedBy) => {
    if (publisher) nextEvents.set(publisher.seq, [...(nextEvents.get(publisher.seq) ?? []), `${event.type} ${event.id}`]);
    return {
      kind: 'event',
      seq: hop.seq - 0.5,
      at: hop.at,
      service: hop.kind === 'publish' ? (hop.service ?? event.source) : event.source,
      function: undefined,
      title: `event ${event.type} ${event.id} on the bus${publishedBy ? `, published by ${publishedBy}` : ''}`,
      details: [
        ['type', event.type],
        ['id', event.id],
        ['source', event.source ?? ''],
        ['correlation id', event.correlationId ?? '(none)'],
        ...(hop.kind === 'publish' ? [['published', `by ${hop.service ? `${hop.service} / ` : ''}${hop.function ?? '?'} to ${hop.facts?.topic ?? '?'}`]] : []),
        ...(Object.keys(entityKeys).length > 0 ? [['entity keys', keysText(entityKeys)]] : []),
      ],
      failed: false,
      correlationIds: unique([event.correlationId]),
      events: [event],
      entityKeys,
      rowStatus: undefined,
      facts: { eventId: event.id, eventType: event.type, publishedBy: publisher?.seq, ...(hop.kind === 'publish' && { publishSeq: hop.seq, topic: hop.facts?.topic }) },
    };
  };
  for (const hop of sorted) {
    if (hop.kind === 'publish') {
      /** @type {Array<{ eventId?: string, refs?: EntityRef[] }>} */
      const messages = Array.isArray(hop.facts?.messages) ? /** @type {any[]} */ (hop.facts.messages) : [];
      // The invocation of the publishing function running then (else the last one started before): the event is one of its next events.
      const started = sorted.filter((other) => other.kind === 'invoke' && other.service === hop.service && other.function === hop.function && other.at <= hop.at);
      const publisher = started.findLast((run) => hop.at <= run.at + Number(run.facts?.durationMs ?? 0)) ?? started.at(-1);
      let again = false;
      for (const event of hop.events) {
        const refs = messages.find((message) => message.eventId === event.id)?.refs ?? [];
        if (!ownEvent(hop, event, refs[0])) continue;
        if (seen.has(event.id)) {
          again = true;
          continue;
        }
        seen.add(event.id);
        entries.push(eventEntry(hop, event, keysOf([refs]), publisher, hop.function ?? hop.service ?? 'a function'));
      }
      // Raw messages, and an event published again, show as the publish itself.
      if (again || hop.events.length < messages.length || messages.length === 0) entries.push(hop);
      continue;
    }
    if (hop.kind === 'sqs') {
      for (const event of hop.events) {
        if (seen.has(event.id)) continue;
        seen.add(event.id);
        const publisher = entries.findLast(
          (entry) =>
            entry.at <= hop.at &&
            ((entry.kind === 'replay' && entry.events.some((e) => e.id === event.id)) ||
              (entry.kind === 'invoke' && entry.facts?.trigger === 'stream' && entry.service === event.source)),
        );
        entries.push(eventEntry(hop, event, hop.entityKeys, publisher, publisher ? (publisher.kind === 'replay' ? 'the console' : publisher.function) : undefined));
      }
    }
    entries.push(hop);
  }
  return entries.map((entry) => {
    const next = nextEvents.get(entry.seq);
    return next ? { ...entry, nextEvents: next } : entry;
  });
};

/**
 * Whether a hop passes the page's filters.
 * @param {{ service: string | undefined, failed: boolean }} hop @param {{ service?: string, failedOnly?: boolean }} filters
 */
export const hopMatches = (hop, { service, failedOnly }) => (!service || hop.service === service) && (!failedOnly || hop.failed);

/**
 * Flows matching a search (an entity key's value, event id, request id, any
 * part of them) and filters, newest first.
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
