// The runbook, end to end on a whole local stack (as `npm start` runs it, on
// free ports): an order.placed that items-api cannot process ends in its DLQ
// after the retries; `list` and `peek` show it without consuming it; the cause
// is fixed; `redrive` sends it back and it is processed exactly once. A second,
// truly poisonous order.placed goes back too, and comes back to the DLQ.
// The events are published to the bus and the item is written to the items
// table directly, so the test depends on the bus and the table, not on the
// HTTP API and its authentication.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueUrlCommand, PurgeQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startLocalStack } from '@platform/local-stack/process';
import { localClientConfig } from '@platform/local-runtime/aws';
import { countsOf, envelope, isolatedEnv, run, waitFor } from '@platform/dlq/test/helpers';

const BUS_ARN = 'arn:aws:sns:us-east-1:000000000000:event-bus-local-domain-events';
const ITEMS_TABLE = 'items-api-local-items';
const SOURCE = 'items-api-local-order-placed';
const DLQ = 'items-api-local-order-placed-dlq';
// DynamoDB's item size limit, which DynamoDB Local enforces as AWS does.
const MAX_ITEM_BYTES = 400 * 1024;

/** @type {import('@platform/local-stack/process').RunningStack} */
let stack;
/** @type {NodeJS.ProcessEnv} */
let env;
/** @type {SQSClient} */
let sqs;
/** @type {DynamoDBClient} */
let db;

before(async () => {
  // A failed record is retried after 1 s rather than its queue's 36 s visibility timeout.
  stack = await startLocalStack({ env: { LOCAL_SQS_RETRY_SECONDS: '1' } });
  env = isolatedEnv({ SNS_SQS_PORT: new URL(stack.snsSqsEndpoint).port });
  sqs = new SQSClient(localClientConfig(stack.snsSqsEndpoint));
  // On a stack shared with other suites (tools/local-stack/with-stack.mjs), their poison messages may be in this DLQ: start from none.
  await sqs.send(new PurgeQueueCommand({ QueueUrl: (await sqs.send(new GetQueueUrlCommand({ QueueName: DLQ }))).QueueUrl }));
  db = new DynamoDBClient(localClientConfig(stack.dynamodbEndpoint));
});

after(async () => {
  sqs?.destroy();
  db?.destroy();
  await stack?.stop();
});

// DynamoDB's size of an attribute value (name included), by AWS's published rule.
/** @param {string} name @param {import('@aws-sdk/client-dynamodb').AttributeValue} value */
const attributeBytes = (name, value) => {
  const bytes = (/** @type {string} */ s) => Buffer.byteLength(s, 'utf8');
  if (value.S !== undefined) return bytes(name) + bytes(value.S);
  if (value.B !== undefined) return bytes(name) + value.B.length;
  if (value.N !== undefined) {
    const digits = value.N.replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
    return bytes(name) + Math.ceil(digits.length / 2) + 1;
  }
  return bytes(name) + bytes(JSON.stringify(value));
};

/** @param {string} itemId */
const itemKey = (itemId) => ({ pk: { S: `ITEM#${itemId}` }, sk: { S: 'ITEM' } });

/**
 * The cause: an item whose row a bad backfill padded to within a few bytes
 * of DynamoDB's item size limit, written as items-api writes its items (its
 * outbox publishes item.created for it). Reading it works, but the
 * reservation, which rewrites the row's updatedAt with a longer value, would
 * take the row over the limit: DynamoDB refuses it, so reserveStock fails for
 * every order of that item.
 * @returns {Promise<string>} the item's id
 */
const createBloatedItem = async () => {
  const id = randomUUID();
  const createdAt = new Date().toISOString();
  /** @type {Record<string, import('@aws-sdk/client-dynamodb').AttributeValue>} */
  const row = {
    ...itemKey(id),
    gsi1pk: { S: 'ITEM' },
    gsi1sk: { S: `${createdAt}#${id}` },
    id: { S: id },
    name: { S: 'lamp' },
    priceCents: { N: '2500' },
    stock: { N: '5' },
    version: { N: '1' },
    createdAt: { S: createdAt },
    updatedAt: { S: 'x' },
  };
  const rest = Object.entries(row).reduce((sum, [name, value]) => sum + attributeBytes(name, value), 0);
  // 10 bytes short of the limit: the reservation's updatedAt adds 23.
  for (let padding = MAX_ITEM_BYTES - rest - 'padding'.length - 10; ; padding -= 4) {
    try {
      await db.send(new PutItemCommand({ TableName: ITEMS_TABLE, Item: { ...row, padding: { B: Buffer.alloc(padding, 1) } } }));
      return id;
    } catch (error) {
      // Our estimate of the row's size was a little short; never by more than a few bytes.
      if (!(error instanceof Error) || !/size/i.test(error.message) || padding < MAX_ITEM_BYTES - rest - 60) throw error;
    }
  }
};

/** @param {string} itemId */
const stockOf = async (itemId) => {
  const { Item } = await db.send(new GetItemCommand({ TableName: ITEMS_TABLE, Key: itemKey(itemId), ConsistentRead: true }));
  return Number(Item?.stock?.N);
};

/** items-api's recorded answer to an order. @param {string} orderId */
const answerTo = async (orderId) => {
  const { Item } = await db.send(
    new GetItemCommand({ TableName: ITEMS_TABLE, Key: { pk: { S: `RESERVATION#${orderId}` }, sk: { S: 'RESERVATION' } }, ConsistentRead: true }),
  );
  return Item?.status?.S;
};

/** @param {string} id @param {Record<string, unknown>} data */
const publishOrderPlaced = (id, data) =>
  new SNSClient(localClientConfig(stack.snsSqsEndpoint)).send(
    new PublishCommand({
      TopicArn: BUS_ARN,
      Message: envelope('order.placed', id, data),
      MessageAttributes: { type: { DataType: 'String', StringValue: 'order.placed' } },
    }),
  );

/** The fix: the padding goes. @param {string} itemId */
const unbloat = (itemId) =>
  db.send(
    new UpdateItemCommand({
      TableName: ITEMS_TABLE,
      Key: itemKey(itemId),
      UpdateExpression: 'REMOVE padding SET updatedAt = :now',
      ExpressionAttributeValues: { ':now': { S: new Date().toISOString() } },
    }),
  );

/** items-api's log lines saying it answered this order. @param {string} orderId */
const answeredLines = (orderId) => stack.output().split('\n').filter((line) => line.includes('stock request answered') && line.includes(orderId));

const dlqDepth = async () => (await countsOf(sqs, DLQ)).visible;

describe('npm run dlq on the local stack', () => {
  it('a failed order.placed: lands in the DLQ, is listed and peeked without being consumed, redriven after the fix, and processed exactly once', async () => {
    const itemId = await createBloatedItem();
    // An order.placed as order-processor publishes it, which items-api fails 3 times over…
    const orderId = randomUUID();
    await publishOrderPlaced(`order.placed:${orderId}`, { orderId, itemId, quantity: 1, customerEmail: 'ada@example.com' });
    // …and a poison: a valid envelope whose data the schema rejects.
    const poisonId = `order.placed:poison-${orderId}`;
    await publishOrderPlaced(poisonId, { orderId: `poison-${orderId}`, itemId, quantity: 'lots', customerEmail: 'ada@example.com' });
    await waitFor(async () => ((await dlqDepth()) === 2 ? true : undefined), 'both order.placed in the DLQ', 45_000);
    assert.deepEqual(await countsOf(sqs, SOURCE), { visible: 0, inFlight: 0 });
    assert.equal(await answerTo(orderId), undefined);

    // list
    const listed = await run(['list'], env);
    assert.equal(listed.code, 0, listed.err);
    assert.match(listed.out, new RegExp(`${DLQ}\\s+2\\s+0\\s+\\d+s\\s+${SOURCE} \\(after 5 receives\\)`));
    const summary = JSON.parse((await run(['list', '--json', '--no-age'], env)).out).find((/** @type {{ name: string }} */ q) => q.name === DLQ);
    assert.equal(summary.depth, 2);

    // peek: both messages, which is which, and both still there
    /** @typedef {{ event: { id: string, type: string }, messageAttributes: Record<string, string>, receiveCount: number }} Peeked */
    /** @returns {Promise<Peeked[]>} */
    const peek = async () => JSON.parse((await run(['peek', 'order-placed-dlq', '--json'], env)).out);
    const peeked = await peek();
    assert.deepEqual(peeked.map((m) => m.event.id).sort(), [`order.placed:${orderId}`, poisonId].sort());
    assert.ok(peeked.every((m) => m.event.type === 'order.placed' && m.messageAttributes.type === 'order.placed'));
    assert.ok(peeked.every((m) => m.receiveCount > 3), 'the receive count includes the 3 failed deliveries');
    const text = await run(['peek', 'order-placed-dlq'], env);
    assert.match(text.out, new RegExp(`event {7}order\\.placed {2}id order\\.placed:${orderId} {2}source order-processor`));
    const again = await peek();
    assert.deepEqual(
      again.map((m) => m.receiveCount).sort(),
      peeked.map((m) => m.receiveCount + 2).sort(),
      'each peek counts as one receive (two peeks since)',
    );
    assert.deepEqual(await countsOf(sqs, DLQ), { visible: 2, inFlight: 0 });
    assert.equal(await answerTo(orderId), undefined);
    assert.deepEqual(answeredLines(orderId), []);

    // The fix, then the redrive.
    await unbloat(itemId);
    const redriven = await run(['redrive', 'order-placed-dlq'], env);
    assert.equal(redriven.code, 0, redriven.err);
    assert.match(redriven.out, /moved 2\/2/);
    assert.match(redriven.out, /Moved 2 message\(s\) from items-api-local-order-placed-dlq to items-api-local-order-placed\./);

    // (order-processor, which never accepted this order, will refuse the stock.reserved: that is its own DLQ's business.)
    assert.equal(await waitFor(() => answerTo(orderId), 'items-api to answer the order'), 'RESERVED');
    // The poison is still poison: 5 receives later it is back in the DLQ, alone.
    await waitFor(async () => ((await dlqDepth()) === 1 ? true : undefined), 'the poison back in the DLQ', 30_000);
    const left = await peek();
    assert.deepEqual(left.map((m) => m.event.id), [poisonId]);
    assert.deepEqual(await countsOf(sqs, SOURCE), { visible: 0, inFlight: 0 });
    // Exactly once: one answer, one unit of stock.
    assert.equal(answeredLines(orderId).length, 1, answeredLines(orderId).join('\n'));
    assert.equal(await stockOf(itemId), 4);

    // Purging what is left needs --yes.
    const refused = await run(['purge', 'order-placed-dlq'], env);
    assert.equal(refused.code, 1);
    assert.equal(await dlqDepth(), 1);
    const purged = await run(['purge', 'order-placed-dlq', '--yes'], env);
    assert.equal(purged.code, 0, purged.err);
    assert.equal(await dlqDepth(), 0);
  });
});
