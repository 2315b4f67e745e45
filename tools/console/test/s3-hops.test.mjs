// What the console makes of the local S3 front's hops (s3, s3-notification) and of
// S3 event notifications on a queue: an upload through a presigned POST is one flow
// from the request that granted it to the item.updated its processing published,
// joined by the correlation id the upload carried and by the S3 object (bucket/key),
// never by anything of the domain.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { marshall } from '@aws-sdk/util-dynamodb';
import { createRecorder } from '@platform/local-runtime/stack/recorder';
import { loadContracts } from '../lib/contracts.mjs';
import { createHopViews, flowEntries, groupFlows, s3EventOf, searchFlows, summarizeFlow } from '../lib/hops.mjs';

const { EVENT_ENTITY_KEYS } = await loadContracts();

const SERVICES = ['event-bus', 'items-api', 'notifier', 'order-processor'];
const ACCOUNT = '000000000000';
const BUCKET = `items-api-local-images-${ACCOUNT}-us-east-1`;
const QUEUE_ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:items-api-local-image-uploads`;
const ITEMS_STREAM = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/items-api-local-items/stream/x`;
const FLOW = 'upload-request-1';

/** An S3 event notification as S3 sends it to a queue: keys URL-encoded. @param {Array<{ key: string, size?: number }>} objects */
const s3EventBody = (objects) =>
  JSON.stringify({
    Records: objects.map(({ key, size = 12345 }, i) => ({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventTime: new Date(0).toISOString(),
      eventName: 'ObjectCreated:Post',
      s3: { s3SchemaVersion: '1.0', bucket: { name: BUCKET, arn: `arn:aws:s3:::${BUCKET}` }, object: { key: encodeURIComponent(key).replace(/%2F/g, '/'), size, eTag: 'e', sequencer: `0${i}` } },
    })),
  });

const TEST_EVENT_BODY = JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Time: new Date(0).toISOString(), Bucket: BUCKET, RequestId: 'r', HostId: 'h' });

/** @param {string} messageId @param {string} body */
const sqsMessage = (messageId, body) => ({ MessageId: messageId, Body: body, Attributes: { ApproximateReceiveCount: '1' }, MessageAttributes: {} });

/** @param {string} messageId @param {string} body */
const sqsRecord = (messageId, body) => ({ eventSource: 'aws:sqs', eventSourceARN: QUEUE_ARN, messageId, body, messageAttributes: {} });

/** @param {Record<string, unknown>} image */
const streamRecord = (image) => ({ eventName: 'MODIFY', dynamodb: { Keys: marshall({ pk: image.pk, sk: image.sk }), NewImage: marshall(image), SequenceNumber: '200' } });

/**
 * The hops of one upload, as the gateway, invoker, S3 front and pollers record them (shortened).
 * @param {{ item: string, image: string, flow: string, at: number, messageId: string }} upload
 */
const uploadHops = ({ item, image, flow, at, messageId }) => {
  const key = `uploads/${item}/${image}`;
  const row = { pk: `ITEM#${item}`, sk: 'ITEM', id: item, version: 2, image: { key: `images/${item}/${image}.png` }, correlationId: flow };
  return [
    { kind: 'http', at, requestId: flow, method: 'POST', path: `/items/${item}/image-uploads`, status: 201, durationMs: 15, service: 'items-api', functionName: 'items-api-local-createImageUpload' },
    {
      kind: 'invoke',
      at: at + 1,
      functionName: 'items-api-local-createImageUpload',
      durationMs: 12,
      event: { requestContext: { requestId: flow, http: { method: 'POST' } }, rawPath: `/items/${item}/image-uploads`, routeKey: 'POST /items/{id}/image-uploads' },
      result: { ok: true, payload: { statusCode: 201, body: JSON.stringify({ upload: { url: `http://localhost:4566/${BUCKET}`, fields: { key }, expiresAt: 'x', maxBytes: 5242880 }, imageId: image }) } },
    },
    { kind: 's3', at: at + 100, operation: 'PostObject', bucket: BUCKET, key, status: 204, durationMs: 9, caller: 'presigned by items-api-local-createImageUpload', correlationId: flow, bytes: 12345 },
    { kind: 's3-notification', at: at + 101, bucket: BUCKET, key, eventName: 'ObjectCreated:Post', queueArn: QUEUE_ARN, messageId },
    { kind: 'sqs', at: at + 110, functionName: 'items-api-local-processImage', queueArn: QUEUE_ARN, message: sqsMessage(messageId, s3EventBody([{ key }])), retry: false },
    {
      kind: 'invoke',
      at: at + 111,
      functionName: 'items-api-local-processImage',
      durationMs: 40,
      event: { Records: [sqsRecord(messageId, s3EventBody([{ key }]))] },
      result: { ok: true, payload: { batchItemFailures: [] } },
    },
    // What processImage asks of S3: no correlation id on these.
    { kind: 's3', at: at + 115, operation: 'GetObject', bucket: BUCKET, key, status: 200, durationMs: 2, caller: 'items-api-local-processImage', bytes: 12345 },
    { kind: 's3', at: at + 120, operation: 'PutObject', bucket: BUCKET, key: `images/${item}/${image}.png`, status: 200, durationMs: 3, caller: 'items-api-local-processImage', bytes: 12345 },
    { kind: 's3', at: at + 125, operation: 'DeleteObject', bucket: BUCKET, key, status: 204, durationMs: 1, caller: 'items-api-local-processImage' },
    { kind: 'stream', at: at + 160, functionName: 'items-api-local-publishItemEvents', streamArn: ITEMS_STREAM, record: streamRecord(row), retry: false },
    {
      kind: 'invoke',
      at: at + 160,
      functionName: 'items-api-local-publishItemEvents',
      durationMs: 5,
      event: { Records: [{ eventSource: 'aws:dynamodb', eventSourceARN: ITEMS_STREAM, ...streamRecord(row) }] },
      result: { ok: true, payload: { batchItemFailures: [] } },
    },
    {
      kind: 'sqs',
      at: at + 170,
      functionName: 'order-processor-local-watchItems',
      queueArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:order-processor-local-item-changes`,
      message: {
        MessageId: `m-${item}`,
        Body: JSON.stringify({ id: `item.updated:${item}:2`, type: 'item.updated', version: 1, occurredAt: 'x', source: 'items-api', correlationId: flow, data: { id: item } }),
        Attributes: { ApproximateReceiveCount: '1' },
        MessageAttributes: { type: { StringValue: 'item.updated' }, eventId: { StringValue: `item.updated:${item}:2` }, correlationId: { StringValue: flow } },
      },
      retry: false,
    },
  ];
};

/** @param {any[]} hops */
const record = (hops) => {
  const recorder = createRecorder();
  for (const hop of hops) recorder.record(hop);
  const { view } = createHopViews({ services: SERVICES, entityKeys: EVENT_ENTITY_KEYS });
  return recorder.hops().map(view);
};

describe('S3 hops', () => {
  it('joins an upload into one flow: the grant, the upload, the notification, its delivery, processImage, the row and item.updated', () => {
    const views = record(uploadHops({ item: 'item-7', image: 'img-1', flow: FLOW, at: 1000, messageId: 'n-1' }));
    const flows = groupFlows(views);
    assert.deepEqual([...flows.keys()], [FLOW]);
    const entries = flowEntries(/** @type {any} */ (flows.get(FLOW)));
    assert.deepEqual(
      entries.map((entry) => `${entry.kind} ${entry.service ?? ''} ${entry.function ?? ''}`.trim()),
      [
        'http items-api createImageUpload',
        'invoke items-api createImageUpload',
        's3 items-api',
        's3-notification items-api',
        'sqs items-api processImage',
        'invoke items-api processImage',
        's3 items-api processImage',
        's3 items-api processImage',
        's3 items-api processImage',
        'stream items-api',
        'invoke items-api publishItemEvents',
        'event items-api',
        'sqs order-processor watchItems',
      ],
    );
    const titles = entries.map((entry) => entry.title);
    assert.equal(titles[2], 'S3 PostObject uploads/item-7/img-1 204 (12345 bytes)');
    assert.equal(titles[3], 'S3 → queue image-uploads: ObjectCreated:Post uploads/item-7/img-1');
    assert.equal(titles[4], 'items-api-local-image-uploads delivered S3 ObjectCreated:Post uploads/item-7/img-1 (receive #1)');
    assert.equal(titles[7], 'S3 PutObject images/item-7/img-1.png 200 (12345 bytes)');
    assert.match(String(titles[11]), /^event item\.updated item\.updated:item-7:2 on the bus, published by publishItemEvents$/);
    assert.deepEqual(entries[2]?.details.find(([term]) => term === 'caller'), ['caller', 'a client, with a URL presigned by items-api-local-createImageUpload']);
    assert.ok(entries.every((entry) => !entry.failed));
    const summary = summarizeFlow(FLOW, /** @type {any} */ (flows.get(FLOW)));
    assert.equal(summary.title, 'POST /items/item-7/image-uploads → 201');
    assert.deepEqual(summary.entityKeys.s3Object, [`${BUCKET}/uploads/item-7/img-1`, `${BUCKET}/images/item-7/img-1.png`]);
    assert.deepEqual(views.find((view) => view.kind === 's3-notification')?.s3Objects, [{ bucket: BUCKET, key: 'uploads/item-7/img-1' }]);
  });

  it('finds the upload by bucket or key, and by the service', () => {
    const views = record(uploadHops({ item: 'item-7', image: 'img-1', flow: FLOW, at: 1000, messageId: 'n-1' }));
    for (const q of ['uploads/item-7/img-1', BUCKET, 'images/item-7', 'ObjectCreated:Post']) assert.deepEqual(searchFlows(views, { q }).map((flow) => flow.id), [FLOW], q);
    assert.equal(searchFlows(views, { q: 'uploads/item-8' }).length, 0);
    assert.equal(searchFlows(views, { service: 'items-api' }).length, 1);
    assert.equal(searchFlows(views, { service: 'notifier' }).length, 0);
  });

  it('shows a refused upload as failed, with why', () => {
    const views = record([
      { kind: 's3', at: 5, operation: 'PostObject', bucket: BUCKET, key: 'uploads/item-7/img-2', status: 400, durationMs: 1, caller: 'presigned by items-api-local-createImageUpload', correlationId: 'grant-2', why: 'EntityTooLarge: Your proposed upload exceeds the maximum allowed size' },
    ]);
    const [view] = views;
    assert.equal(view?.failed, true);
    assert.equal(view?.title, 'S3 PostObject uploads/item-7/img-2 400 refused: EntityTooLarge: Your proposed upload exceeds the maximum allowed size');
    assert.deepEqual(view?.details.find(([term]) => term === 'why'), ['why', 'EntityTooLarge: Your proposed upload exceeds the maximum allowed size']);
    assert.equal(view?.service, 'items-api');
    assert.deepEqual([...groupFlows(views).keys()], ['grant-2']);
    assert.deepEqual(searchFlows(views, { failedOnly: true }).map((flow) => flow.id), ['grant-2']);
    assert.equal(searchFlows(views, { q: 'entitytoolarge' }).length, 1);
  });

  it('shows a message of two S3 records, and the invocation that read it, in both uploads’ flows', () => {
    const first = uploadHops({ item: 'item-7', image: 'img-1', flow: FLOW, at: 1000, messageId: 'n-1' }).slice(0, 4);
    // A key S3 writes URL-encoded in its event (`+` → %2B).
    const second = uploadHops({ item: 'item-8', image: 'img+2', flow: 'upload-request-2', at: 1010, messageId: 'n-2' }).slice(0, 4);
    const body = s3EventBody([{ key: 'uploads/item-7/img-1' }, { key: 'uploads/item-8/img+2' }]);
    const views = record([
      ...first,
      ...second,
      { kind: 'sqs', at: 1200, functionName: 'items-api-local-processImage', queueArn: QUEUE_ARN, message: sqsMessage('n-both', body), retry: false },
      { kind: 'invoke', at: 1201, functionName: 'items-api-local-processImage', durationMs: 30, event: { Records: [sqsRecord('n-both', body)] }, result: { ok: true, payload: { batchItemFailures: [] } } },
    ]);
    const flows = groupFlows(views);
    assert.deepEqual([...flows.keys()].sort(), [FLOW, 'upload-request-2']);
    for (const id of [FLOW, 'upload-request-2']) {
      const kinds = (flows.get(id) ?? []).map((hop) => hop.kind);
      assert.deepEqual(kinds, ['http', 'invoke', 's3', 's3-notification', 'sqs', 'invoke'], id);
    }
    const delivery = views.find((view) => view.kind === 'sqs');
    assert.equal(delivery?.title, 'items-api-local-image-uploads delivered S3 2 events: ObjectCreated:Post uploads/item-7/img-1, ObjectCreated:Post uploads/item-8/img+2 (receive #1)');
    // Each flow's header names only its own upload.
    assert.deepEqual(summarizeFlow('upload-request-2', /** @type {any} */ (flows.get('upload-request-2'))).entityKeys, { s3Object: [`${BUCKET}/uploads/item-8/img+2`] });
  });

  it('shows S3’s test event as such, in a flow of its own that joins nothing', () => {
    const views = record([
      ...uploadHops({ item: 'item-7', image: 'img-1', flow: FLOW, at: 1000, messageId: 'n-1' }),
      { kind: 'sqs', at: 3000, functionName: 'items-api-local-processImage', queueArn: QUEUE_ARN, message: sqsMessage('n-test', TEST_EVENT_BODY), retry: false },
      { kind: 'invoke', at: 3001, functionName: 'items-api-local-processImage', durationMs: 2, event: { Records: [sqsRecord('n-test', TEST_EVENT_BODY)] }, result: { ok: true, payload: { batchItemFailures: [] } } },
    ]);
    const flows = groupFlows(views);
    assert.deepEqual([...flows.keys()], [FLOW, 's3-test:n-test']);
    assert.deepEqual(flows.get('s3-test:n-test')?.map((hop) => hop.kind), ['sqs', 'invoke']);
    assert.equal(flows.get(FLOW)?.length, 12, 'the upload’s flow has its own 12 hops, not the test event’s');
    const test = views.find((view) => view.kind === 'sqs' && view.facts?.messageId === 'n-test');
    assert.equal(test?.title, `items-api-local-image-uploads delivered S3's test event (s3:TestEvent for ${BUCKET}) (receive #1)`);
    assert.deepEqual(test?.entityKeys, {});
    assert.equal(test?.failed, false);
  });

  it('reads S3 event notifications, raw or through SNS, and nothing else', () => {
    const raw = s3EventBody([{ key: 'uploads/a b/c' }]);
    assert.deepEqual(s3EventOf(raw), { test: false, records: [{ bucket: BUCKET, key: 'uploads/a b/c', eventName: 'ObjectCreated:Post', size: 12345 }] });
    assert.deepEqual(s3EventOf(JSON.stringify({ Type: 'Notification', Message: raw })), s3EventOf(raw));
    assert.deepEqual(s3EventOf(TEST_EVENT_BODY), { test: true, bucket: BUCKET });
    assert.equal(s3EventOf(JSON.stringify({ Records: [{ eventSource: 'aws:dynamodb' }] })), undefined);
    assert.equal(s3EventOf('not json'), undefined);
  });
});
