// The console in a real browser, on a whole local stack (as `npm start` runs
// it, on free ports): Debian's Chromium (/usr/bin/chromium, or CHROMIUM_PATH)
// driven by playwright-core, which never downloads a browser.
//  - an order placed through the API: its flow shows every hop in order, the entity
//    keys its events' contracts declare, and a last status of CONFIRMED;
//  - a poison message published to the bus: it reaches the DLQ view; Redrive takes it out;
//  - a recorded order.confirmed replayed from the page: notifier's hop appears;
//  - an edited event that breaks its schema is refused, and nothing is sent.
// Screenshots land in dist/console-test/ (git-ignored).
/* global document */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueUrlCommand, PurgeQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { chromium } from 'playwright-core';
import { startLocalStack } from '@platform/local-stack/process';
import { freePort, localClientConfig } from '@platform/local-runtime/aws';
import { loadDevIssuer } from '@platform/local-runtime/gateway/dev-issuer';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ARTIFACTS = path.join(ROOT, 'dist/console-test');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const BUS_ARN = 'arn:aws:sns:us-east-1:000000000000:event-bus-local-domain-events';
const DLQ = 'items-api-local-order-placed-dlq';
const SEARCH = 'Search by entity key, event or request id';

/** @type {Awaited<ReturnType<typeof startLocalStack>>} */
let stack;
/** @type {import('playwright-core').Browser} */
let browser;
/** @type {import('playwright-core').Page} */
let page;
let consoleUrl = '';
/** @type {SNSClient} */
let sns;
/** The order placed by the first test, and its flow (the request id). */
const placed = { orderId: '', requestId: '' };

before(async () => {
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: install Debian's chromium package (see .ci/run) or set CHROMIUM_PATH`);
  mkdirSync(ARTIFACTS, { recursive: true });
  // A failed record is retried after 1 s rather than its queue's 36 s visibility timeout.
  stack = await startLocalStack({ env: { CONSOLE_PORT: String(await freePort()), LOCAL_SQS_RETRY_SECONDS: '1' } });
  assert.ok(stack.consoleUrl, `the stack runs no console:\n${stack.output()}`);
  consoleUrl = stack.consoleUrl;
  sns = new SNSClient(localClientConfig(stack.snsSqsEndpoint));
  // On a stack shared with other suites (tools/local-stack/with-stack.mjs), their poison messages may be in this DLQ: start from none.
  const sqs = new SQSClient(localClientConfig(stack.snsSqsEndpoint));
  await sqs.send(new PurgeQueueCommand({ QueueUrl: (await sqs.send(new GetQueueUrlCommand({ QueueName: DLQ }))).QueueUrl }));
  sqs.destroy();
  browser = await chromium.launch({ executablePath: CHROMIUM });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  await page.goto(consoleUrl);
});

after(async () => {
  await browser?.close();
  sns?.destroy();
  await stack?.stop();
});

/** What the flow view shows: [kind, service, headline] per entry, in order. */
const shownHops = () =>
  page.$$eval('ol.hops > li', (items) => items.map((item) => [item.getAttribute('data-kind'), item.getAttribute('data-service'), item.querySelector('.headline')?.textContent ?? '']));

/** Whether `expected` appear in `hops` in this order (others may come between). */
const inOrder = (hops, expected) => {
  let at = 0;
  for (const [kind, service, text] of hops) {
    const next = expected[at];
    if (next && kind === next[0] && service === next[1] && text.includes(next[2])) at += 1;
  }
  return at;
};

const ORDER_FLOW = [
  ['http', 'order-processor', 'POST /orders → 202'],
  ['invoke', 'order-processor', 'placeOrder'],
  ['stream', 'order-processor', 'INSERT pk=ORDER#'],
  ['invoke', 'order-processor', 'publishOrderEvents'],
  ['event', 'order-processor', 'order.placed'],
  ['sqs', 'items-api', 'order-placed delivered order.placed'],
  ['invoke', 'items-api', 'reserveStock'],
  ['stream', 'items-api', 'INSERT pk=RESERVATION#'],
  ['invoke', 'items-api', 'publishDomainEvents'],
  ['event', 'items-api', 'stock.reserved'],
  ['sqs', 'order-processor', 'stock-answers delivered stock.reserved'],
  ['invoke', 'order-processor', 'settleOrders'],
  ['stream', 'order-processor', '→ CONFIRMED'],
  ['invoke', 'order-processor', 'publishOrderEvents'],
  ['event', 'order-processor', 'order.confirmed'],
  ['sqs', 'notifier', 'delivered order.confirmed'],
  ['invoke', 'notifier', 'notifyCustomers'],
];

/** Polls `probe` in the test (not the page) until it returns true. */
const until = async (probe, what, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
};

describe('the local console', () => {
  it('shows an order placed through the API, hop by hop, live, ending CONFIRMED', async () => {
    const issuer = await loadDevIssuer();
    const staff = await issuer.sign({ email: 'staff@example.com', scopes: ['items:write'] });
    const ada = await issuer.sign({ email: 'ada@example.com' });
    const itemResponse = await fetch(`${stack.apiUrl}/items`, {
      method: 'POST',
      headers: { authorization: `Bearer ${staff}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'console pen', priceCents: 120, stock: 5 }),
    });
    assert.equal(itemResponse.status, 201);
    const item = await itemResponse.json();
    const orderResponse = await fetch(`${stack.apiUrl}/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ada}`, 'content-type': 'application/json' },
      body: JSON.stringify({ itemId: item.id, quantity: 1 }),
    });
    assert.equal(orderResponse.status, 202);
    placed.orderId = (await orderResponse.json()).orderId;
    placed.requestId = /** @type {string} */ (orderResponse.headers.get('apigw-requestid'));

    // Search by the order id (an entity key order.placed declares): its flow is the request's.
    await page.getByLabel(SEARCH).fill(placed.orderId);
    const flowButton = page.locator(`button[data-flow-id="${placed.requestId}"]`);
    await flowButton.waitFor({ timeout: 10_000 });
    await flowButton.click();
    // The hops keep arriving while the saga runs: the view follows live.
    await until(async () => inOrder(await shownHops(), ORDER_FLOW) === ORDER_FLOW.length, 'every hop of the order');
    await until(async () => (await page.getByTestId('flow-status').textContent()) === 'CONFIRMED', 'the CONFIRMED status');
    // The keys the contracts declare, with their values, as the console shows them (it knows no key by name).
    const keys = await page.getByTestId('flow-keys').textContent();
    assert.ok(keys?.includes(`orderId ${placed.orderId}`) && keys.includes(`itemId ${item.id}`), String(keys));
    const hops = await shownHops();
    assert.equal(inOrder(hops, ORDER_FLOW), ORDER_FLOW.length, JSON.stringify(hops, null, 1));
    assert.equal(await page.locator('ol.hops > li.failed').count(), 0, 'no failed hop');
    await page.screenshot({ path: path.join(ARTIFACTS, 'flow.png'), fullPage: true });

    // A narrow window: one column, nothing wider than the window.
    await page.setViewportSize({ width: 420, height: 900 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `the page is ${overflow} px wider than a 420 px window`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'flow-narrow.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('shows a poison message in its DLQ, and Redrive takes it out', async () => {
    const eventId = `poison-${randomUUID()}`;
    // An order.placed by its attribute (so the subscription delivers it), but no event: reserveStock refuses it every time.
    await sns.send(
      new PublishCommand({
        TopicArn: BUS_ARN,
        Message: JSON.stringify({ id: eventId, type: 'order.placed', note: 'not a valid order.placed' }),
        MessageAttributes: { type: { DataType: 'String', StringValue: 'order.placed' }, eventId: { DataType: 'String', StringValue: eventId } },
      }),
    );
    await page.getByRole('tab', { name: 'Queues' }).click();
    const depth = page.locator(`tr[data-queue="${DLQ}"] [data-testid="depth"]`);
    await until(async () => (await depth.textContent()) === '1', `the poison message in ${DLQ}`, 30_000);

    await page.getByRole('button', { name: `Show messages of ${DLQ}` }).click();
    const message = page.getByRole('article').filter({ hasText: eventId });
    await message.waitFor({ timeout: 10_000 });
    assert.ok(Number(await message.getByTestId('receive-count').textContent()) >= 3);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dlq.png'), fullPage: true });

    await page.getByRole('button', { name: `Redrive ${DLQ}` }).click();
    await page.getByText(`${DLQ}: 1 message(s) sent back to items-api-local-order-placed`).waitFor({ timeout: 10_000 });
    // Out of the DLQ, back on its source queue (where it fails again, later, being poison).
    assert.equal(await depth.textContent(), '0');

    // Its flow (no correlation id: its event id) shows each failed delivery.
    await page.getByRole('tab', { name: 'Flows' }).click();
    await page.getByLabel(SEARCH).fill(eventId);
    await page.locator(`button[data-flow-id="event:${eventId}"]`).click();
    await until(async () => (await shownHops()).filter(([kind, , text]) => kind === 'sqs' && text.includes('left for retry')).length >= 3, 'the failed deliveries');
  });

  it('replays a recorded order.confirmed from the page, and notifier handles it again', async () => {
    await page.getByLabel(SEARCH).fill(placed.orderId);
    await page.locator(`button[data-flow-id="${placed.requestId}"]`).click();
    const notifierHops = async () => (await shownHops()).filter(([kind, service]) => kind === 'invoke' && service === 'notifier').length;
    // The detail follows the click (and may still show the poison message's flow for a moment).
    await until(async () => (await notifierHops()) === 1, "the order's flow, notifier handling it once");

    await page.getByRole('button', { name: `Replay order.confirmed order.confirmed:${placed.orderId}` }).click();
    const editor = page.getByLabel('Event JSON (the envelope published to the bus)');
    await until(async () => (await editor.inputValue()).includes(`order.confirmed:${placed.orderId}`), 'the recorded event in the editor');
    const recorded = JSON.parse(await editor.inputValue());

    // Edited into something its schema refuses: nothing is sent.
    await editor.fill(JSON.stringify({ ...recorded, data: { ...recorded.data, quantity: -1 } }, null, 2));
    await page.getByRole('button', { name: 'Publish to the bus' }).click();
    await page.getByRole('alert').filter({ hasText: 'data.quantity' }).waitFor({ timeout: 10_000 });

    // As it was recorded: published, and notifier gets it (and, by its event id, sends nothing twice).
    await page.getByRole('button', { name: 'Undo edits' }).click();
    await page.getByRole('button', { name: 'Publish to the bus' }).click();
    await page.getByText(`Published order.confirmed order.confirmed:${placed.orderId}`).waitFor({ timeout: 10_000 });
    await page.getByRole('button', { name: 'Show its flow' }).click();
    await until(async () => (await notifierHops()) === 2, "notifier's hop for the replayed event");
    const hops = await shownHops();
    assert.ok(hops.some(([kind, , text]) => kind === 'replay' && text.includes(`order.confirmed:${placed.orderId}`)), 'the replay is in the flow');
    await page.screenshot({ path: path.join(ARTIFACTS, 'replay.png'), fullPage: true });
  });
});
