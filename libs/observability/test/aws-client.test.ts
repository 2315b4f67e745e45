import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { startHungEndpoint, type HungEndpoint } from '@platform/testing';
import { AWS_CALL_LIMITS, awsClient, type AwsCallLimits, awsClientConfig, INVOCATION_RESERVE_MS, MIN_ATTEMPT_MS, timeLeftMs, withInvocationDeadline } from '../src';

/** An invocation context that says `ms` remain, as Lambda's does. */
const invocationWith = (ms: number) => {
  const deadline = Date.now() + ms;
  return { getRemainingTimeInMillis: () => deadline - Date.now() };
};

const clientFor = (endpoint: string, limits: AwsCallLimits = AWS_CALL_LIMITS) =>
  awsClient(new DynamoDBClient({ ...awsClientConfig(limits), endpoint, region: 'us-east-1', credentials: { accessKeyId: 'k', secretAccessKey: 's' } }));

const failureOf = async (work: Promise<unknown>) => {
  try {
    await work;
  } catch (error) {
    return error as Error & { $metadata?: { attempts?: number } };
  }
  throw new Error('the call succeeded against a store that never answers');
};

describe('AWS clients bounded by the invocation', () => {
  let store: HungEndpoint;
  beforeEach(async () => (store = await startHungEndpoint()));
  afterEach(() => store.close());

  it('gives every attempt a connection and a request timeout, and retries a bounded number of times', async () => {
    expect(awsClientConfig()).toEqual({
      maxAttempts: AWS_CALL_LIMITS.maxAttempts,
      requestHandler: { connectionTimeout: AWS_CALL_LIMITS.connectTimeoutMs, requestTimeout: AWS_CALL_LIMITS.attemptTimeoutMs, throwOnRequestTimeout: true },
    });
    const client = clientFor(store.endpoint, { connectTimeoutMs: 200, attemptTimeoutMs: 150, maxAttempts: 3 });
    const error = await failureOf(client.send(new ListTablesCommand({})));
    client.destroy();
    expect(error.name).toBe('TimeoutError');
    expect(error.$metadata?.attempts).toBe(3);
    expect(store.requests()).toBe(3);
  });

  it('gives a hung call up at the deadline, the reserve before the timeout, with an error the SDK does not retry', async () => {
    const client = clientFor(store.endpoint);
    // The attempt timeout (3 s) is longer than the time left: only the deadline can end this call.
    const error = await withInvocationDeadline(invocationWith(INVOCATION_RESERVE_MS + 300), () =>
      failureOf(client.send(new ListTablesCommand({}))),
    );
    expect(error.name).toBe('DeadlineExceededError');
    expect(store.requests()).toBe(1);
    client.destroy();
  });

  it('starts no retry it has no time for: after the deadline, the abandoned call sends nothing more', async () => {
    const client = clientFor(store.endpoint, { connectTimeoutMs: 200, attemptTimeoutMs: 250, maxAttempts: 10 });
    const error = await withInvocationDeadline(invocationWith(INVOCATION_RESERVE_MS + 400), () =>
      failureOf(client.send(new ListTablesCommand({}))),
    );
    expect(error.name).toBe('DeadlineExceededError');
    const sent = store.requests();
    expect(sent).toBeGreaterThanOrEqual(1);
    expect(sent).toBeLessThan(10);
    // Long enough for several more attempts, had the retries gone on in the background.
    await sleep(800);
    expect(store.requests()).toBe(sent);
    client.destroy();
  });

  it('sends nothing when the invocation has less than an attempt’s minimum left', async () => {
    const client = clientFor(store.endpoint);
    const error = await withInvocationDeadline(invocationWith(INVOCATION_RESERVE_MS + MIN_ATTEMPT_MS / 2), () =>
      failureOf(client.send(new ListTablesCommand({}))),
    );
    expect(error.name).toBe('DeadlineExceededError');
    expect(store.requests()).toBe(0);
    client.destroy();
  });

  it('sets no deadline outside an invocation, or for a context that cannot tell its time', () => {
    expect(timeLeftMs()).toBe(Infinity);
    expect(withInvocationDeadline({}, timeLeftMs)).toBe(Infinity);
    const left = withInvocationDeadline(invocationWith(6_000), timeLeftMs);
    expect(left).toBeLessThanOrEqual(6_000 - INVOCATION_RESERVE_MS);
    expect(left).toBeGreaterThan(0);
  });
});
