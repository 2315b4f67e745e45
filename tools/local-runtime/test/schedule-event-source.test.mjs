// Schedules (EventBridge rules and EventBridge Scheduler) run locally by the
// local runtime: their expressions, when each run comes, what the function
// gets, retries as an asynchronous invocation, and nothing before the stack is
// ready; against a fake invoker and a clock the test moves by hand.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { createScheduleEventSource, scheduleSources } from '../event-sources/schedule-event-source.mjs';
import { parseSchedule, ScheduleExpressionError } from '../event-sources/schedule-expression.mjs';
import { createInvoker } from '../lambda/lambda-invoke.mjs';

const require = createRequire(import.meta.url);
const START = Date.UTC(2025, 0, 31, 14, 3, 20); // a Friday
const MINUTE = 60_000;

/** Lets the source's promises and the fake invoker's answers settle. */
const settle = async () => {
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
};

/** A clock that moves only when the test says, waking each wait in time order. */
const manualClock = (start = START) => {
  let now = start;
  /** @type {Array<{ at: number, resolve: () => void }>} */
  let waits = [];
  return {
    now: () => now,
    wait: (ms, signal) =>
      new Promise((resolve) => {
        waits.push({ at: now + ms, resolve });
        signal.addEventListener('abort', () => resolve(), { once: true });
      }),
    async advance(ms) {
      const target = now + ms;
      for (;;) {
        await settle();
        const [due] = waits.filter((wait) => wait.at <= target).sort((a, b) => a.at - b.at);
        if (!due) break;
        now = Math.max(now, due.at);
        waits = waits.filter((wait) => wait !== due);
        due.resolve();
      }
      now = target;
      await settle();
    },
  };
};

/** An invoker that answers from a list (then ok), noting each call with the clock's time. */
const fakeInvoke = (clock, answers = []) => {
  const calls = [];
  const invoke = async (functionName, event, options) => {
    calls.push({ functionName, event, options, at: clock.now() });
    return answers.shift() ?? { ok: true, payload: { done: true }, text: '{"done":true}' };
  };
  invoke.calls = calls;
  return invoke;
};

const TIMEOUT = { ok: false, kind: 'timeout', error: 'the function ran past its timeout of 6 s' };

const source = (clock, invoke, options = {}) => {
  const lines = [];
  const hops = [];
  const schedule = createScheduleEventSource({
    name: 'svc-local-SweepRule',
    arn: 'arn:aws:events:us-east-1:000000000000:rule/svc-local-SweepRule',
    expression: 'rate(5 minutes)',
    functionName: 'svc-local-sweep',
    invoke,
    clock,
    log: (line) => lines.push(line),
    recorder: { record: (hop) => hops.push(hop) },
    ...options,
  });
  return { schedule, lines, hops };
};

describe('schedule expressions', () => {
  const runs = (expression, count, { timezone, from = START } = {}) => {
    const schedule = parseSchedule(expression, { timezone });
    const times = [];
    for (let after = from; times.length < count; ) {
      const next = schedule.kind === 'rate' ? schedule.next(after, from) : schedule.next(after);
      if (next === undefined) break;
      times.push(new Date(next).toISOString().slice(0, 16));
      after = next;
    }
    return times;
  };

  it('reads rates: the first run one period after the start, then one each period', () => {
    assert.deepEqual(runs('rate(5 minutes)', 3), ['2025-01-31T14:08', '2025-01-31T14:13', '2025-01-31T14:18']);
    assert.deepEqual(runs('rate(1 hour)', 2), ['2025-01-31T15:03', '2025-01-31T16:03']);
    assert.deepEqual(runs('rate(2 days)', 1), ['2025-02-02T14:03']);
  });

  it('reads crons in UTC: values, lists, ranges, steps, names, L, W and #', () => {
    assert.deepEqual(runs('cron(0/15 * * * ? *)', 3), ['2025-01-31T14:15', '2025-01-31T14:30', '2025-01-31T14:45']);
    assert.deepEqual(runs('cron(0 18 ? * MON-FRI *)', 3), ['2025-01-31T18:00', '2025-02-03T18:00', '2025-02-04T18:00']);
    assert.deepEqual(runs('cron(30 9,17 1 * ? *)', 3), ['2025-02-01T09:30', '2025-02-01T17:30', '2025-03-01T09:30']);
    assert.deepEqual(runs('cron(0 10 L * ? *)', 2), ['2025-02-28T10:00', '2025-03-31T10:00']);
    assert.deepEqual(runs('cron(0 10 ? * 6L *)', 2), ['2025-02-28T10:00', '2025-03-28T10:00']);
    assert.deepEqual(runs('cron(0 10 ? * 2#1 *)', 2), ['2025-02-03T10:00', '2025-03-03T10:00']);
    assert.deepEqual(runs('cron(0 10 15W * ? *)', 2), ['2025-02-14T10:00', '2025-03-14T10:00']);
    assert.deepEqual(runs('cron(0 0 1 JAN ? 2026-2027)', 3), ['2026-01-01T00:00', '2027-01-01T00:00']);
    assert.deepEqual(runs('cron(0 0 1 1 ? 2020)', 1), []);
  });

  it("reads EventBridge Scheduler's time zones and one-time schedules", () => {
    assert.deepEqual(runs('cron(0 9 * * ? *)', 1, { timezone: 'Europe/Berlin' }), ['2025-02-01T08:00']);
    assert.deepEqual(runs('at(2025-02-01T00:00:00)', 2), ['2025-02-01T00:00']);
  });

  it('refuses, saying why, what AWS would refuse or this reader cannot read', () => {
    for (const [expression, reason] of [
      ['rate(1 minutes)', /singular for 1: rate\(1 minute\)/],
      ['rate(5 minute)', /plural above 1/],
      ['rate(0 minutes)', /at least 1/],
      ['rate(5 weeks)', /rate\(<whole number> minute/],
      ['cron(0 12 * * ?)', /6 fields/],
      ['cron(0 12 * * * *)', /exactly one of day-of-month and day-of-week must be `\?`/],
      ['cron(0 12 ? * ? *)', /exactly one/],
      ['cron(61 * * * ? *)', /minutes: "61" is not 0-59/],
      ['cron(0 12 ? * FUNDAY *)', /day-of-week: "FUNDAY"/],
      ['cron(0 12 ? * MON#6 *)', /the week must be 1-5/],
      ['every 5 minutes', /rate\(…\), cron\(…\) or at\(…\)/],
    ]) {
      assert.throws(() => parseSchedule(expression), (error) => error instanceof ScheduleExpressionError && reason.test(error.message), expression);
    }
    assert.throws(() => parseSchedule('cron(0 9 * * ? *)', { timezone: 'Mars/Olympus' }), /unknown time zone/);
  });
});

describe('a schedule event source', () => {
  it('runs nothing until started; then a rate runs one period after the start, then every period', async () => {
    const clock = manualClock();
    const invoke = fakeInvoke(clock);
    const { schedule, hops } = source(clock, invoke);
    assert.match(schedule.description, /^svc-local-SweepRule: rate\(5 minutes\) → svc-local-sweep \(first run 5 min after ready\)$/);
    await clock.advance(60 * MINUTE);
    assert.equal(invoke.calls.length, 0, 'nothing runs before start()');

    const startedAt = clock.now();
    schedule.start();
    await clock.advance(5 * MINUTE - 1000);
    assert.equal(invoke.calls.length, 0);
    await clock.advance(1000);
    assert.equal(invoke.calls.length, 1);
    await clock.advance(10 * MINUTE);
    assert.deepEqual(
      invoke.calls.map((call) => (call.at - startedAt) / MINUTE),
      [5, 10, 15],
    );
    const [{ functionName, event, options }] = invoke.calls;
    assert.equal(functionName, 'svc-local-sweep');
    assert.deepEqual(Object.keys(event).sort(), ['account', 'detail', 'detail-type', 'id', 'region', 'resources', 'source', 'time', 'version']);
    assert.equal(event['detail-type'], 'Scheduled Event');
    assert.equal(event.source, 'aws.events');
    assert.deepEqual(event.resources, ['arn:aws:events:us-east-1:000000000000:rule/svc-local-SweepRule']);
    assert.equal(event.time, new Date(startedAt + 5 * MINUTE).toISOString().replace(/\.\d+Z$/, 'Z'));
    assert.deepEqual(options.trigger, { kind: 'schedule', id: event.id });
    // One hop per run for the console, joined to its invocation by the run's id.
    assert.deepEqual(
      hops.map((hop) => [hop.kind, hop.runId === invoke.calls[hops.indexOf(hop)].event.id, hop.attempt]),
      [['schedule', true, 1], ['schedule', true, 1], ['schedule', true, 1]],
    );
    await schedule.stop();
    await clock.advance(60 * MINUTE);
    assert.equal(invoke.calls.length, 3, 'nothing runs once stopped');
  });

  it('runs a cron at its times, with the target Input as the event when there is one', async () => {
    const clock = manualClock();
    const invoke = fakeInvoke(clock);
    const { schedule } = source(clock, invoke, { expression: 'cron(0/15 * * * ? *)', input: { sweep: 'all' } });
    assert.match(schedule.description, /\(next 2025-01-31 14:15 UTC\)$/);
    schedule.start();
    await clock.advance(30 * MINUTE);
    assert.deepEqual(
      invoke.calls.map((call) => new Date(call.at).toISOString().slice(11, 16)),
      ['14:15', '14:30'],
    );
    assert.deepEqual(invoke.calls[0].event, { sweep: 'all' });
    await schedule.stop();
  });

  it('retries a run that failed as Lambda retries an asynchronous invocation: after 1 and 2 minutes, then drops it', async () => {
    const clock = manualClock();
    const invoke = fakeInvoke(clock, [TIMEOUT, TIMEOUT, TIMEOUT]);
    const { schedule, lines, hops } = source(clock, invoke, { expression: 'rate(1 hour)' });
    schedule.start();
    await clock.advance(60 * MINUTE + 3 * MINUTE);
    const first = invoke.calls[0].at;
    assert.deepEqual(
      invoke.calls.map((call) => (call.at - first) / MINUTE),
      [0, 1, 3],
    );
    // The same event each time: a retry of the same run.
    assert.equal(new Set(invoke.calls.map((call) => call.event.id)).size, 1);
    assert.deepEqual(
      hops.map((hop) => hop.attempt),
      [1, 2, 3],
    );
    assert.deepEqual(lines, [
      'svc-local-sweep: scheduled run of svc-local-SweepRule failed (timeout: the function ran past its timeout of 6 s); retry 1 of 2 in 1 min',
      'svc-local-sweep: scheduled run of svc-local-SweepRule failed (timeout: the function ran past its timeout of 6 s); retry 2 of 2 in 2 min',
      'svc-local-sweep: scheduled run of svc-local-SweepRule failed (timeout: the function ran past its timeout of 6 s) after 3 attempt(s); dropped, as Lambda drops it after its retries (MaximumRetryAttempts 2)',
    ]);
    await schedule.stop();
  });

  it('waits while throttled, without spending a retry, and a slow run never delays the next', async () => {
    const clock = manualClock();
    const throttled = { ok: false, kind: 'throttled', error: 'svc-local-sweep is throttled: its reserved concurrency is 0' };
    const invoke = fakeInvoke(clock, [throttled, throttled]);
    const { schedule, lines } = source(clock, invoke, { expression: 'rate(1 minute)', maximumRetryAttempts: 0 });
    schedule.start();
    await clock.advance(MINUTE + 3000);
    // 1 s, then 2 s later: the third attempt gets through.
    assert.deepEqual(
      invoke.calls.map((call) => (call.at - START) / 1000),
      [60, 61, 63],
    );
    assert.match(lines.at(-1), /scheduled run of svc-local-SweepRule \(rate\(1 minute\)\) done in \d+ ms$/);
    await schedule.stop();
  });

  it('runs through the invoker, under the function’s concurrency cap', async () => {
    // A function whose reserved concurrency is 0: the invoker throttles every run, and calls nothing.
    const invoke = createInvoker({ functions: [{ name: 'svc-local-sweep', lambdaPort: 1, timeoutSeconds: 1, reservedConcurrency: 0 }] });
    const clock = manualClock();
    const { schedule, lines } = source(clock, invoke, { expression: 'rate(1 minute)', maximumEventAgeSeconds: 60 });
    schedule.start();
    await clock.advance(3 * MINUTE);
    assert.ok(lines.some((line) => line.endsWith('dropped: throttled until its event was 60 s old (MaximumEventAgeInSeconds)')), lines.join('\n'));
    await schedule.stop();
  });

  it('stops at once on the real clock, however long its next run is away', async () => {
    const invoke = fakeInvoke({ now: Date.now });
    const { schedule } = source(undefined, invoke, { clock: undefined, expression: 'rate(7 days)' });
    schedule.start();
    const started = Date.now();
    await schedule.stop();
    assert.ok(Date.now() - started < 500);
    assert.equal(invoke.calls.length, 0);
  });
});

describe('the schedules of a compiled template', () => {
  const physicalIds = new Map();
  const functionArn = (name) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;
  const resolve = (value) => JSON.parse(JSON.stringify(value).replace(/\{"Fn::GetAtt":\["(\w+)LambdaFunction","Arn"\]\}/g, (_, id) => JSON.stringify(functionArn(`svc-local-${id[0].toLowerCase()}${id.slice(1)}`))));
  const template = {
    Resources: {
      SweepLambdaFunction: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'svc-local-sweep' } },
      SweepEventsRuleSchedule1: {
        Type: 'AWS::Events::Rule',
        Properties: { ScheduleExpression: 'rate(5 minutes)', State: 'ENABLED', Targets: [{ Arn: { 'Fn::GetAtt': ['SweepLambdaFunction', 'Arn'] }, Id: 'sweepSchedule', Input: '{"deep":true}' }] },
      },
      SweepEventsRuleSchedule2: {
        Type: 'AWS::Events::Rule',
        Properties: { ScheduleExpression: 'cron(0 12 * * * *)', State: 'ENABLED', Targets: [{ Arn: { 'Fn::GetAtt': ['SweepLambdaFunction', 'Arn'] }, Id: 'sweepSchedule' }] },
      },
      SweepEventsRuleSchedule3: {
        Type: 'AWS::Events::Rule',
        Properties: { ScheduleExpression: 'rate(1 day)', State: 'DISABLED', Targets: [{ Arn: { 'Fn::GetAtt': ['SweepLambdaFunction', 'Arn'] }, Id: 'sweepSchedule' }] },
      },
      OnChange: { Type: 'AWS::Events::Rule', Properties: { EventPattern: { source: ['x'] }, Targets: [] } },
      NightlySchedule: {
        Type: 'AWS::Scheduler::Schedule',
        Properties: {
          Name: 'nightly',
          ScheduleExpression: 'cron(0 3 * * ? *)',
          ScheduleExpressionTimezone: 'Europe/Berlin',
          State: 'ENABLED',
          FlexibleTimeWindow: { Mode: 'OFF' },
          Target: { Arn: { 'Fn::GetAtt': ['SweepLambdaFunction', 'Arn'] }, RoleArn: 'arn:aws:iam::000000000000:role/x' },
        },
      },
      ToQueue: {
        Type: 'AWS::Events::Rule',
        Properties: { ScheduleExpression: 'rate(1 hour)', Targets: [{ Arn: 'arn:aws:sqs:us-east-1:000000000000:q', Id: 'q' }] },
      },
      SweepInvokeConfig: { Type: 'AWS::Lambda::EventInvokeConfig', Properties: { FunctionName: 'svc-local-sweep', Qualifier: '$LATEST', MaximumRetryAttempts: 0 } },
    },
  };

  it('makes one source per rule or schedule with a function target, and says loudly which cannot run', async () => {
    const clock = manualClock();
    const invoke = fakeInvoke(clock, [TIMEOUT]);
    const lines = [];
    const sources = scheduleSources({ name: 'svc', template, resolve, physicalIds, invoke, region: 'us-east-1', log: (line) => lines.push(line), clock });
    assert.deepEqual(
      sources.map((one) => one.description),
      [
        'svc-local-SweepEventsRuleSchedule1: rate(5 minutes) → svc-local-sweep (first run 5 min after ready)',
        '!!! svc-local-SweepEventsRuleSchedule2: cron(0 12 * * * *) → svc-local-sweep: NOT run locally: its expression cannot be read here (exactly one of day-of-month and day-of-week must be `?`)',
        'svc-local-SweepEventsRuleSchedule3: rate(1 day) → svc-local-sweep: DISABLED in its template, not run',
        '!!! svc-local-ToQueue: rate(1 hour) → arn:aws:sqs:us-east-1:000000000000:q: NOT run locally: its target arn:aws:sqs:us-east-1:000000000000:q is not a function (only function targets are emulated)',
        'nightly: cron(0 3 * * ? *) Europe/Berlin → svc-local-sweep (next 2025-02-01 02:00 UTC)',
      ],
    );
    // Said at once, in the stack's output, not only in the ready report.
    assert.equal(lines.filter((line) => line.startsWith('!!! ')).length, 2, lines.join('\n'));
    assert.equal(physicalIds.get('SweepEventsRuleSchedule1').attributes.Arn, 'arn:aws:events:us-east-1:000000000000:rule/svc-local-SweepEventsRuleSchedule1');

    sources.forEach((one) => one.start());
    await clock.advance(5 * MINUTE);
    assert.deepEqual(
      invoke.calls.map((call) => call.event),
      [{ deep: true }],
    );
    // The function's EventInvokeConfig says no retries.
    await clock.advance(5 * MINUTE);
    assert.ok(lines.some((line) => line.includes('dropped, as Lambda drops it after its retries (MaximumRetryAttempts 0)')), lines.join('\n'));
    await Promise.all(sources.map((one) => one.stop()));
  });
});

describe("serverless-offline's own scheduler", () => {
  it('gets no schedule events: the local-function-credentials plugin takes them out on the local stage', () => {
    const LocalFunctionCredentials = require('../serverless-plugins/local-function-credentials.js');
    const functions = {
      sweep: { name: 'svc-local-sweep', events: [{ schedule: 'rate(5 minutes)' }, { httpApi: { method: 'GET', path: '/x' } }] },
      plain: { name: 'svc-local-plain' },
    };
    const serverless = {
      service: { getAllFunctions: () => Object.keys(functions), getFunction: (key) => functions[key] },
      getProvider: () => ({ getStage: () => 'local' }),
    };
    const plugin = new LocalFunctionCredentials(serverless);
    plugin.hooks['before:offline:start:init']();
    assert.deepEqual(functions.sweep.events, [{ httpApi: { method: 'GET', path: '/x' } }]);
    assert.equal(functions.plain.events, undefined);
    assert.match(functions.sweep.environment.AWS_ACCESS_KEY_ID, /^LOCALFN/);
  });
});
