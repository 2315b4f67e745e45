// A local stand-in for EventBridge schedules: the rules (AWS::Events::Rule with a
// ScheduleExpression; a serverless.yml `schedule` event compiles to one) and
// EventBridge Scheduler's schedules (AWS::Scheduler::Schedule, `method:
// scheduler`) of a compiled template whose target is a function of the stack.
//  - Nothing runs before the stack is ready: each source is made (and its
//    expression read) at start, and started once the ready report is out. A
//    rate's first run comes one period later, a cron's at its next time.
//  - Each run invokes the function through the stack's invoker, like every
//    other trigger, so it takes its turn under the function's concurrency cap.
//  - Runs are asynchronous invocations, as in AWS: a run does not wait for the
//    one before it; a function error or timeout is retried after 1 and then 2
//    minutes (the function's EventInvokeConfig MaximumRetryAttempts, default 2);
//    a throttled run waits and tries again until MaximumEventAgeInSeconds
//    (default 6 h); then the run is dropped, with a line that says so.
//  - The event is the rule's target Input when it has one, else EventBridge's
//    "Scheduled Event" (source aws.events, or aws.scheduler for a schedule).
//  - An expression this source cannot read, or a target or input it does not
//    emulate, is said loudly at start, and that schedule does not run.
// serverless-offline's own scheduler never runs (local-function-credentials.js
// drops the `schedule` events from what serverless-offline sees).
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { LOCAL_ACCOUNT_ID, resourcesOfType } from '../cloudformation/cfn.mjs';
import { formatUtc, parseSchedule, ScheduleExpressionError } from './schedule-expression.mjs';

/** Lambda's default retries of a failed asynchronous invocation, and the waits before them. */
const DEFAULT_RETRY_ATTEMPTS = 2;
const RETRY_DELAYS_MS = [60_000, 120_000];
/** How old an event of an asynchronous invocation may get, by default (6 h), while it is throttled. */
const DEFAULT_MAXIMUM_EVENT_AGE_SECONDS = 6 * 60 * 60;
const LONGEST_WAIT_MS = 24 * 60 * 60 * 1000;

/**
 * @typedef {{ now: () => number, wait: (ms: number, signal: AbortSignal) => Promise<void> }} Clock
 * @typedef {import('@platform/local-runtime/types').Log} Log
 * @typedef {import('@platform/local-runtime/types').Invoke} Invoke
 * @typedef {import('@platform/local-runtime/types').HopRecorder} HopRecorder
 * @typedef {{ description: string, problem?: string, start(): void, stop(): Promise<void>, nextRunAt(): number | undefined }} ScheduleSource
 */

/** Real time; a wait ends early, without error, when the signal aborts. @type {Clock} */
export const REAL_CLOCK = {
  now: () => Date.now(),
  wait: (ms, signal) => sleep(ms, undefined, { signal }).catch(() => undefined),
};

/** A minute, an hour or a few seconds, for a line. @param {number} ms */
const duration = (ms) => (ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`);

/**
 * EventBridge's event for a scheduled run, with no Input on the target.
 * @param {{ source: 'aws.events' | 'aws.scheduler', time: number, region: string, arn: string }} run
 */
export const scheduledEvent = ({ source, time, region, arn }) => ({
  version: '0',
  id: randomUUID(),
  'detail-type': 'Scheduled Event',
  source,
  account: LOCAL_ACCOUNT_ID,
  time: new Date(time).toISOString().replace(/\.\d+Z$/, 'Z'),
  region,
  resources: [arn],
  detail: {},
});

/**
 * One schedule feeding one function.
 * @param {{
 *   name: string, arn: string, expression: string, timezone?: string, functionName: string, invoke: Invoke,
 *   source?: 'aws.events' | 'aws.scheduler', input?: unknown, region?: string, flexibleWindowMinutes?: number,
 *   maximumRetryAttempts?: number, maximumEventAgeSeconds?: number, retryDelaysMs?: number[],
 *   log?: Log, recorder?: HopRecorder, clock?: Clock,
 * }} options
 * @returns {ScheduleSource}  throws a ScheduleExpressionError for an expression it cannot read
 */
export const createScheduleEventSource = ({
  name,
  arn,
  expression,
  timezone,
  functionName,
  invoke,
  source = 'aws.events',
  input,
  region = 'us-east-1',
  flexibleWindowMinutes = 0,
  maximumRetryAttempts = DEFAULT_RETRY_ATTEMPTS,
  maximumEventAgeSeconds = DEFAULT_MAXIMUM_EVENT_AGE_SECONDS,
  retryDelaysMs = RETRY_DELAYS_MS,
  log = console.log,
  recorder,
  clock = REAL_CLOCK,
}) => {
  const schedule = parseSchedule(expression, { timezone });
  const abort = new AbortController();
  /** @type {Set<Promise<void>>} */
  const running = new Set();
  /** @type {Promise<void> | undefined} */
  let loop;
  /** @type {number | undefined} */
  let nextAt;
  let stopped = false;
  const label = `${expression}${timezone ? ` ${timezone}` : ''}`;

  /** Waits until `at` on the clock; false when stopped first. @param {number} at */
  const waitUntil = async (at) => {
    while (!stopped && clock.now() < at) await clock.wait(Math.min(at - clock.now(), LONGEST_WAIT_MS), abort.signal);
    return !stopped;
  };

  /**
   * One run, as Lambda runs an asynchronous invocation: retried on a function
   * error or timeout, waited on while throttled.
   * @param {number} firedAt
   */
  const run = async (firedAt) => {
    const event = input === undefined ? scheduledEvent({ source, time: firedAt, region, arn }) : input;
    const runId = typeof (/** @type {any} */ (event)?.id) === 'string' && input === undefined ? /** @type {any} */ (event).id : randomUUID();
    const expiresAt = firedAt + maximumEventAgeSeconds * 1000;
    let throttledWaitMs = 1000;
    for (let attempt = 1; !stopped; ) {
      const startedAt = clock.now();
      recorder?.record({ kind: 'schedule', at: startedAt, functionName, name, expression: label, runId, attempt, event });
      const result = await invoke(functionName, event, { trigger: { kind: 'schedule', id: runId } });
      const took = `${Math.round(clock.now() - startedAt)} ms`;
      if (result.ok) {
        log(`${functionName}: scheduled run of ${name} (${label}) done in ${took}${attempt > 1 ? ` on attempt ${attempt}` : ''}`);
        return;
      }
      if (result.kind === 'throttled') {
        if (clock.now() + throttledWaitMs > expiresAt) {
          log(`${functionName}: scheduled run of ${name} dropped: throttled until its event was ${maximumEventAgeSeconds} s old (MaximumEventAgeInSeconds)`);
          return;
        }
        if (!(await waitUntil(clock.now() + throttledWaitMs))) return;
        throttledWaitMs = Math.min(throttledWaitMs * 2, 5 * 60_000);
        continue;
      }
      if (attempt > maximumRetryAttempts) {
        log(`${functionName}: scheduled run of ${name} failed (${result.kind}: ${result.error}) after ${attempt} attempt(s); dropped, as Lambda drops it after its retries (MaximumRetryAttempts ${maximumRetryAttempts})`);
        return;
      }
      const delay = retryDelaysMs[attempt - 1] ?? retryDelaysMs.at(-1) ?? 0;
      log(`${functionName}: scheduled run of ${name} failed (${result.kind}: ${result.error}); retry ${attempt} of ${maximumRetryAttempts} in ${duration(delay)}`);
      if (!(await waitUntil(clock.now() + delay))) return;
      attempt += 1;
    }
  };

  const schedulerLoop = async () => {
    const startedAt = clock.now();
    let after = startedAt;
    while (!stopped) {
      const at = schedule.kind === 'rate' ? schedule.next(after, startedAt) : schedule.next(after);
      nextAt = at;
      if (at === undefined) {
        log(`${name} (${label}) → ${functionName}: no later run`);
        return;
      }
      // A flexible time window: somewhere in it, as EventBridge Scheduler does.
      const runAt = at + Math.floor(Math.random() * flexibleWindowMinutes * 60_000);
      if (!(await waitUntil(runAt))) return;
      // Not awaited: a run never delays the next one (a slow run and the next one overlap, as in AWS).
      const started = run(runAt).catch((error) => log(`${functionName}: scheduled run of ${name} failed in the local runtime: ${error?.message ?? error}`));
      running.add(started);
      void started.finally(() => running.delete(started));
      after = Math.max(at, clock.now());
    }
  };

  const first = schedule.kind === 'rate' ? `first run ${duration(schedule.periodMs)} after ready` : `next ${(() => {
    const at = schedule.next(clock.now());
    return at === undefined ? 'never' : formatUtc(at);
  })()}`;
  return {
    description: `${name}: ${label} → ${functionName} (${first}${flexibleWindowMinutes ? `, within ${flexibleWindowMinutes} min` : ''})`,
    start() {
      loop ??= schedulerLoop();
    },
    async stop() {
      stopped = true;
      abort.abort();
      await loop;
      await Promise.all(running);
    },
    nextRunAt: () => nextAt,
  };
};

/**
 * The target Input of a rule or schedule, as the function gets it: the JSON it holds.
 * @param {unknown} text @returns {unknown} undefined without one
 */
const inputOf = (text) => {
  if (text === undefined || text === null || text === '') return undefined;
  if (typeof text !== 'string') return text;
  return JSON.parse(text);
};

/**
 * A source that does not run, and says why, in every place that lists the schedules.
 * @param {string} description @param {string} problem @returns {ScheduleSource}
 */
const notRun = (description, problem) => ({
  description: `!!! ${description}: NOT run locally: ${problem}`,
  problem,
  start() {},
  stop: async () => {},
  nextRunAt: () => undefined,
});

/**
 * One source per (schedule, function target) of a compiled, provisioned
 * template; made at start, started by the caller once the stack is ready.
 * @param {{
 *   name: string, template: import('@platform/local-runtime/types').CfnTemplate, resolve: import('@platform/local-runtime/types').Resolve,
 *   physicalIds: import('@platform/local-runtime/types').PhysicalIds, invoke: Invoke, region: string,
 *   log: Log, recorder?: HopRecorder, clock?: Clock, retryDelaysMs?: number[],
 * }} stack  `name` is the service's; its stack is <name>-local
 * @returns {ScheduleSource[]}
 */
export const scheduleSources = ({ name: service, template, resolve, physicalIds, invoke, region, log, recorder, clock, retryDelaysMs }) => {
  /** function name → its EventInvokeConfig */
  const invokeConfigs = new Map(
    resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig').map(([, resource]) => {
      const config = resolve(resource.Properties ?? {});
      return [String(config.FunctionName).split(':function:').pop(), config];
    }),
  );
  /** The function an ARN names, when it is one of the stack's. @param {unknown} targetArn */
  const functionOf = (targetArn) => {
    const text = String(targetArn ?? '');
    return text.startsWith('arn:aws:lambda:') ? text.split(':function:').pop()?.split(':')[0] : undefined;
  };

  /**
   * @param {{ name: string, arn: string, expression: unknown, timezone?: string, state?: string, target: any, source: 'aws.events' | 'aws.scheduler', flexibleWindowMinutes?: number }} found
   * @returns {ScheduleSource}
   */
  const sourceFor = ({ name, arn, expression, timezone, state, target, source, flexibleWindowMinutes }) => {
    const functionName = functionOf(target.Arn);
    const shown = `${name}: ${String(expression)} → ${functionName ?? target.Arn}`;
    const refuse = (/** @type {string} */ problem) => {
      const refused = notRun(shown, problem);
      log(refused.description);
      return refused;
    };
    if (state && state !== 'ENABLED') return { ...notRun(shown, `its State is ${state}`), description: `${shown}: ${state} in its template, not run`, problem: undefined };
    if (!functionName) return refuse(`its target ${target.Arn} is not a function (only function targets are emulated)`);
    if (target.InputTransformer) return refuse('its target has an InputTransformer, which is not emulated');
    if (target.InputPath) return refuse('its target has an InputPath, which is not emulated');
    let input;
    try {
      input = inputOf(target.Input);
    } catch {
      return refuse(`its target Input is not JSON: ${String(target.Input).slice(0, 80)}`);
    }
    const config = invokeConfigs.get(functionName) ?? {};
    try {
      return createScheduleEventSource({
        name,
        arn,
        expression: /** @type {string} */ (expression),
        timezone,
        functionName,
        invoke,
        source,
        input,
        region,
        flexibleWindowMinutes,
        maximumRetryAttempts: config.MaximumRetryAttempts ?? DEFAULT_RETRY_ATTEMPTS,
        maximumEventAgeSeconds: config.MaximumEventAgeInSeconds ?? DEFAULT_MAXIMUM_EVENT_AGE_SECONDS,
        retryDelaysMs,
        log,
        recorder,
        clock,
      });
    } catch (error) {
      if (!(error instanceof ScheduleExpressionError)) throw error;
      return refuse(`its expression cannot be read here (${error.reason})`);
    }
  };

  const rules = resourcesOfType(template, 'AWS::Events::Rule').flatMap(([logicalId, resource]) => {
    const properties = resolve(resource.Properties ?? {});
    if (properties.ScheduleExpression === undefined) return []; // an event pattern rule: not a schedule
    const name = properties.Name ?? `${service}-local-${logicalId}`;
    const arn = `arn:aws:events:${region}:${LOCAL_ACCOUNT_ID}:rule/${name}`;
    physicalIds.set(logicalId, { ref: name, attributes: { Arn: arn } });
    return (properties.Targets ?? []).map((/** @type {any} */ target) =>
      sourceFor({ name, arn, expression: properties.ScheduleExpression, state: properties.State, target, source: 'aws.events' }),
    );
  });
  const schedules = resourcesOfType(template, 'AWS::Scheduler::Schedule').map(([logicalId, resource]) => {
    const properties = resolve(resource.Properties ?? {});
    const name = properties.Name ?? `${service}-local-${logicalId}`;
    const arn = `arn:aws:scheduler:${region}:${LOCAL_ACCOUNT_ID}:schedule/${properties.GroupName ?? 'default'}/${name}`;
    physicalIds.set(logicalId, { ref: name, attributes: { Arn: arn } });
    const window = properties.FlexibleTimeWindow?.Mode === 'FLEXIBLE' ? Number(properties.FlexibleTimeWindow.MaximumWindowInMinutes ?? 0) : 0;
    return sourceFor({
      name,
      arn,
      expression: properties.ScheduleExpression,
      timezone: properties.ScheduleExpressionTimezone,
      state: properties.State,
      target: properties.Target ?? {},
      source: 'aws.scheduler',
      flexibleWindowMinutes: window,
    });
  });
  return [...rules, ...schedules];
};
