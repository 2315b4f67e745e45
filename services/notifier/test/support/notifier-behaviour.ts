import { buildEvent } from '@platform/events';
import { CLAIM_TIMEOUT_MS, NotificationInProgressError, NotificationMismatchError, Notifier, type NotificationChannel, type NotificationStore } from '../../src/domain';

let sequence = 0;

export const confirmed = () => {
  const orderId = `order-${(sequence += 1)}-${Date.now()}`;
  return buildEvent(
    'order.confirmed',
    'order-processor',
    { orderId, itemId: 'item-1', quantity: 2, customerEmail: 'ada@example.com' },
    { id: `order.confirmed:${orderId}` },
  );
};

const recordingChannel = () => {
  const sent: string[] = [];
  const channel: NotificationChannel = { name: 'test', send: async (notification) => void sent.push(notification.subject) };
  return { sent, channel };
};

/**
 * What notifier promises, whatever store backs it. Run against the in-memory
 * fake (unit) and against DynamoDB Local (integration).
 */
export const notifierBehaviour = (store: () => NotificationStore) => {
  describe('Notifier', () => {
    let recording: ReturnType<typeof recordingChannel>;
    beforeEach(() => {
      recording = recordingChannel();
    });

    it('does not send a redelivered event again', async () => {
    const notifier = new Notifier(store(), recording.channel);
    const event = confirmed();
    await notifier.notify(event);
    await expect(notifier.notify(event)).resolves.toBe('DUPLICATE');
    await expect(notifier.notify({ ...event, occurredAt: new Date().toISOString() })).resolves.toBe('DUPLICATE');
    expect(recording.sent).toHaveLength(1);
  });

  it('acts on its own record: an event id re-sent with another email or order sends nothing and fails (issue 13: a forged order.confirmed)', async () => {
    const notifier = new Notifier(store(), recording.channel);
    const event = confirmed();
    await notifier.notify(event);
    const otherEmail = { ...event, data: { ...event.data, customerEmail: 'attacker@example.com' } };
    const otherQuantity = { ...event, data: { ...event.data, quantity: 7 } };
    await expect(notifier.notify(otherEmail)).rejects.toBeInstanceOf(NotificationMismatchError);
    await expect(notifier.notify(otherQuantity)).rejects.toBeInstanceOf(NotificationMismatchError);
    expect(recording.sent).toHaveLength(1);
    await expect(notifier.notify(event)).resolves.toBe('DUPLICATE');
  });

  it('never rewrites a stale claim to another recipient', async () => {
    let now = 1_000_000;
    const dying = new Notifier(store(), { name: 'test', send: () => new Promise(() => undefined) }, () => now);
    const event = confirmed();
    void dying.notify(event); // claims, then never finishes sending
    await new Promise((resolve) => setTimeout(resolve, 20));
    now += CLAIM_TIMEOUT_MS + 1;
    const notifier = new Notifier(store(), recording.channel, () => now);
    await expect(notifier.notify({ ...event, data: { ...event.data, customerEmail: 'attacker@example.com' } })).rejects.toBeInstanceOf(NotificationMismatchError);
    expect(recording.sent).toEqual([]);
    await expect(notifier.notify(event)).resolves.toBe('SENT');
    expect(recording.sent).toHaveLength(1);
  });

  it('sends exactly once when two deliveries of one event race', async () => {
    const sent: string[] = [];
    const slowChannel: NotificationChannel = {
      name: 'test',
      send: async (notification) => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        sent.push(notification.subject);
      },
    };
    const notifier = new Notifier(store(), slowChannel);
    const event = confirmed();
    const results = await Promise.allSettled([notifier.notify(event), notifier.notify(event)]);
    expect(sent).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof NotificationInProgressError)).toHaveLength(1);
    // The losing delivery is retried by SQS later and then finds the notification sent.
    await expect(notifier.notify(event)).resolves.toBe('DUPLICATE');
  });

  it('sends on the next delivery after a failed send', async () => {
    const event = confirmed();
    const failing = new Notifier(store(), { name: 'test', send: () => Promise.reject(new Error('SMTP down')) });
    await expect(failing.notify(event)).rejects.toThrow('SMTP down');
    const sent: string[] = [];
    const notifier = new Notifier(store(), { name: 'test', send: async (n) => void sent.push(n.subject) });
    await expect(notifier.notify(event)).resolves.toBe('SENT');
    expect(sent).toHaveLength(1);
  });

  it('retries a throttled "mark SENT": one send, and a redelivery sends nothing', async () => {
    const backing = store();
    let throttled = 0;
    const throttledOnce: NotificationStore = {
      claim: (...args) => backing.claim(...args),
      release: (...args) => backing.release(...args),
      markSent: async (...args) => {
        if (throttled === 0) {
          throttled += 1;
          throw Object.assign(new Error('Rate of requests exceeds the allowed throughput'), { name: 'ThrottlingException' });
        }
        return backing.markSent(...args);
      },
    };
    const noWait = async () => undefined;
    const event = confirmed();
    await expect(new Notifier(throttledOnce, recording.channel, Date.now, noWait).notify(event)).resolves.toBe('SENT');
    expect(throttled).toBe(1);
    await expect(new Notifier(throttledOnce, recording.channel, Date.now, noWait).notify(event)).resolves.toBe('DUPLICATE');
    expect(recording.sent).toHaveLength(1);
  });

  it('never releases or fails after a successful send, even when "mark SENT" keeps failing', async () => {
    const backing = store();
    const released: string[] = [];
    const markFails: NotificationStore = {
      claim: (...args) => backing.claim(...args),
      release: async (...args) => {
        released.push(args[0]);
        return backing.release(...args);
      },
      markSent: () => Promise.reject(Object.assign(new Error('throttled'), { name: 'ThrottlingException' })),
    };
    const event = confirmed();
    await expect(new Notifier(markFails, recording.channel, Date.now, async () => undefined).notify(event)).resolves.toBe(
      'SENT_UNRECORDED',
    );
    expect(released).toEqual([]);
    // A duplicate delivery meanwhile finds the claim held and sends nothing.
    await expect(new Notifier(backing, recording.channel).notify(event)).rejects.toThrow(NotificationInProgressError);
    expect(recording.sent).toHaveLength(1);
  });

  it('retries a delivery that died after claiming, once its claim is stale', async () => {
    const event = confirmed();
    const dying = new Notifier(store(), { name: 'test', send: () => new Promise(() => undefined) });
    void dying.notify(event); // claims, then never finishes sending
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(new Notifier(store(), { name: 'test', send: async () => undefined }).notify(event)).rejects.toThrow(
      NotificationInProgressError,
    );
    const sent: string[] = [];
    const later = Date.now() + CLAIM_TIMEOUT_MS + 1;
    const notifier = new Notifier(store(), { name: 'test', send: async (n) => void sent.push(n.subject) }, () => later);
    await expect(notifier.notify(event)).resolves.toBe('SENT');
    expect(sent).toHaveLength(1);
  });

  });
};
