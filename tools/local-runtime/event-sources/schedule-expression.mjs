// EventBridge's schedule expressions, as rules (AWS::Events::Rule) and EventBridge
// Scheduler (AWS::Scheduler::Schedule) read them, for the local schedule event
// source (schedule-event-source.mjs):
//  - rate(value unit): value a whole number ≥ 1, unit minute(s), hour(s) or
//    day(s), singular exactly when the value is 1 (AWS refuses `rate(1 minutes)`
//    and `rate(5 minute)`). The first run comes one period after the schedule
//    starts, then one every period.
//  - cron(minutes hours day-of-month month day-of-week year): six fields, each
//    `*`, a value, a range `a-b`, a list `a,b`, or a step `a/n`, `*/n`, `a-b/n`;
//    months JAN-DEC or 1-12, days of the week SUN-SAT or 1-7 (1 is Sunday);
//    one of day-of-month and day-of-week must be `?`; `L` (the last day of the
//    month, or with a weekday `5L`, its last Thursday), `W` (`15W`, the weekday
//    nearest the 15th; `LW`) and `#` (`2#1`, the first Monday). Times are UTC,
//    or the schedule's ScheduleExpressionTimezone (EventBridge Scheduler).
//  - at(yyyy-mm-ddThh:mm:ss): one run (EventBridge Scheduler).
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
// https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
// parseSchedule() throws a ScheduleExpressionError that says what is wrong.

export class ScheduleExpressionError extends Error {
  /** @param {string} expression @param {string} reason */
  constructor(expression, reason) {
    super(`${expression}: ${reason}`);
    this.name = 'ScheduleExpressionError';
    this.expression = expression;
    this.reason = reason;
  }
}

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
/** @type {Record<string, number>} */
const UNIT_MS = { minute: MINUTE_MS, hour: 60 * MINUTE_MS, day: DAY_MS };
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
// How far ahead a cron is searched for its next time: past this, it never runs again (a year field in the past).
const SEARCH_DAYS = 366 * 8;

/**
 * @typedef {{ kind: 'rate', expression: string, periodMs: number, next: (after: number, startedAt: number) => number }
 *   | { kind: 'cron' | 'at', expression: string, next: (after: number) => number | undefined }} Schedule
 *   next(after): the first run strictly after `after` (epoch ms); undefined when it never runs again.
 *   A rate's runs count from `startedAt`, the moment its schedule started.
 * @typedef {{ values: Set<number>, last?: boolean, nearestWeekday?: number | 'last', lastWeekday?: number, nth?: [number, number] }} Field
 */

/**
 * @param {string} expression @param {string} body
 * @returns {Schedule}
 */
const parseRate = (expression, body) => {
  const match = /^(\d+) (minute|minutes|hour|hours|day|days)$/.exec(body.trim());
  if (!match) throw new ScheduleExpressionError(expression, 'a rate is `rate(<whole number> minute(s)|hour(s)|day(s))`');
  const value = Number(match[1]);
  const unit = /** @type {string} */ (match[2]);
  if (value < 1) throw new ScheduleExpressionError(expression, 'a rate must be at least 1');
  const singular = !unit.endsWith('s');
  if (value === 1 && !singular) throw new ScheduleExpressionError(expression, `AWS wants the singular for 1: rate(1 ${unit.slice(0, -1)})`);
  if (value > 1 && singular) throw new ScheduleExpressionError(expression, `AWS wants the plural above 1: rate(${value} ${unit}s)`);
  const periodMs = value * /** @type {number} */ (UNIT_MS[singular ? unit : unit.slice(0, -1)]);
  return {
    kind: 'rate',
    expression,
    periodMs,
    // Runs fall at startedAt + k × period; one missed while the machine slept is not made up.
    next: (after, startedAt) => startedAt + (Math.floor(Math.max(0, after - startedAt) / periodMs) + 1) * periodMs,
  };
};

/**
 * One number of a field, by value or (months, weekdays) by name.
 * @param {string} expression @param {string} text @param {{ name: string, min: number, max: number, names?: string[], namesFrom?: number }} spec
 */
const numberOf = (expression, text, spec) => {
  const upper = text.toUpperCase();
  const named = spec.names?.indexOf(upper) ?? -1;
  const value = named >= 0 ? named + (spec.namesFrom ?? 1) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(value) || value < spec.min || value > spec.max) {
    throw new ScheduleExpressionError(expression, `${spec.name}: ${JSON.stringify(text)} is not ${spec.names ? `${spec.min}-${spec.max} or ${spec.names[0]}-${spec.names.at(-1)}` : `${spec.min}-${spec.max}`}`);
  }
  return value;
};

/**
 * A field of `,`-separated parts, each `*`, `a`, `a-b`, with an optional `/n` step.
 * @param {string} expression @param {string} text @param {{ name: string, min: number, max: number, names?: string[], namesFrom?: number }} spec
 * @returns {Set<number>}
 */
const numbersOf = (expression, text, spec) => {
  /** @type {Set<number>} */
  const values = new Set();
  for (const part of text.split(',')) {
    const [range = '', stepText, extra] = part.split('/');
    if (extra !== undefined || range === '') throw new ScheduleExpressionError(expression, `${spec.name}: cannot read ${JSON.stringify(part)}`);
    const step = stepText === undefined ? 1 : numberOf(expression, stepText, { name: `${spec.name} step`, min: 1, max: spec.max });
    let from;
    let to;
    if (range === '*') [from, to] = [spec.min, spec.max];
    else if (range.includes('-')) {
      const [a = '', b = '', more] = range.split('-');
      if (more !== undefined) throw new ScheduleExpressionError(expression, `${spec.name}: cannot read ${JSON.stringify(part)}`);
      [from, to] = [numberOf(expression, a, spec), numberOf(expression, b, spec)];
      if (from > to) throw new ScheduleExpressionError(expression, `${spec.name}: the range ${range} runs backwards`);
    } else {
      from = numberOf(expression, range, spec);
      // `a/n` runs from a to the end of the field.
      to = stepText === undefined ? from : spec.max;
    }
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return values;
};

const MINUTES = { name: 'minutes', min: 0, max: 59 };
const HOURS = { name: 'hours', min: 0, max: 23 };
const DAYS_OF_MONTH = { name: 'day-of-month', min: 1, max: 31 };
const MONTH = { name: 'month', min: 1, max: 12, names: MONTHS };
const DAY_OF_WEEK = { name: 'day-of-week', min: 1, max: 7, names: WEEKDAYS };
const YEARS = { name: 'year', min: 1970, max: 2199 };

/** @param {string} expression @param {string} text @returns {Field | undefined} undefined for `?` */
const dayOfMonthField = (expression, text) => {
  if (text === '?') return undefined;
  const upper = text.toUpperCase();
  if (upper === 'L') return { values: new Set(), last: true };
  if (upper === 'LW') return { values: new Set(), nearestWeekday: 'last' };
  const weekday = /^(\d+)W$/.exec(upper);
  if (weekday) return { values: new Set(), nearestWeekday: numberOf(expression, /** @type {string} */ (weekday[1]), DAYS_OF_MONTH) };
  if (/[LW#]/i.test(text)) throw new ScheduleExpressionError(expression, `day-of-month: cannot read ${JSON.stringify(text)} (L, LW or <day>W)`);
  return { values: numbersOf(expression, text, DAYS_OF_MONTH) };
};

/** @param {string} expression @param {string} text @returns {Field | undefined} undefined for `?` */
const dayOfWeekField = (expression, text) => {
  if (text === '?') return undefined;
  const upper = text.toUpperCase();
  if (upper === 'L') return { values: new Set(), lastWeekday: 7 };
  const last = /^(\w+)L$/.exec(upper);
  if (last) return { values: new Set(), lastWeekday: numberOf(expression, /** @type {string} */ (last[1]), DAY_OF_WEEK) };
  const nth = /^(\w+)#(\d)$/.exec(upper);
  if (nth) {
    const which = Number(nth[2]);
    if (which < 1 || which > 5) throw new ScheduleExpressionError(expression, `day-of-week: ${text}: the week must be 1-5`);
    return { values: new Set(), nth: [numberOf(expression, /** @type {string} */ (nth[1]), DAY_OF_WEEK), which] };
  }
  if (/[LW#]/i.test(text)) throw new ScheduleExpressionError(expression, `day-of-week: cannot read ${JSON.stringify(text)} (<day>L or <day>#<week>)`);
  return { values: numbersOf(expression, text, DAY_OF_WEEK) };
};

/** @param {number} year @param {number} month 1-12 */
const daysIn = (year, month) => new Date(Date.UTC(year, month, 0)).getUTCDate();
/** 1 (Sunday) to 7 (Saturday), as cron counts. @param {number} year @param {number} month @param {number} day */
const weekdayOf = (year, month, day) => new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;

/** The weekday (Monday-Friday) nearest `target` in the same month. @param {number} year @param {number} month @param {number} target */
const nearestWeekday = (year, month, target) => {
  const last = daysIn(year, month);
  const day = Math.min(target, last);
  const weekday = weekdayOf(year, month, day);
  if (weekday === 7) return day === 1 ? 3 : day - 1; // Saturday: Friday, or Monday the 3rd
  if (weekday === 1) return day === last ? day - 2 : day + 1; // Sunday: Monday, or Friday before the month's end
  return day;
};

/**
 * Whether a day matches the day fields (exactly one of them is given).
 * @param {{ dayOfMonth?: Field, dayOfWeek?: Field }} fields @param {number} year @param {number} month @param {number} day
 */
const dayMatches = ({ dayOfMonth, dayOfWeek }, year, month, day) => {
  if (dayOfMonth) {
    if (dayOfMonth.last) return day === daysIn(year, month);
    if (dayOfMonth.nearestWeekday !== undefined) {
      const target = dayOfMonth.nearestWeekday === 'last' ? daysIn(year, month) : dayOfMonth.nearestWeekday;
      return day === nearestWeekday(year, month, target);
    }
    return dayOfMonth.values.has(day);
  }
  if (!dayOfWeek) return false;
  const weekday = weekdayOf(year, month, day);
  if (dayOfWeek.lastWeekday !== undefined) return weekday === dayOfWeek.lastWeekday && day + 7 > daysIn(year, month);
  if (dayOfWeek.nth) return weekday === dayOfWeek.nth[0] && Math.ceil(day / 7) === dayOfWeek.nth[1];
  return dayOfWeek.values.has(weekday);
};

/**
 * The wall-clock fields of an instant in a time zone (UTC without one).
 * @param {number} instant @param {Intl.DateTimeFormat | undefined} zone
 */
const wallClock = (instant, zone) => {
  if (!zone) {
    const date = new Date(instant);
    return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate(), hour: date.getUTCHours(), minute: date.getUTCMinutes() };
  }
  /** @type {Record<string, number>} */
  const parts = {};
  for (const { type, value } of zone.formatToParts(instant)) if (type !== 'literal') parts[type] = Number(value);
  return { year: parts.year ?? 0, month: parts.month ?? 0, day: parts.day ?? 0, hour: (parts.hour ?? 0) % 24, minute: parts.minute ?? 0 };
};

/**
 * The instant of a wall-clock time in a zone: the UTC reading corrected by the
 * zone's offset (twice, for a time near a change of offset).
 * @param {{ year: number, month: number, day: number, hour: number, minute: number }} wall @param {Intl.DateTimeFormat | undefined} zone
 */
const instantOf = (wall, zone) => {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute);
  if (!zone) return asUtc;
  let instant = asUtc;
  for (let pass = 0; pass < 2; pass += 1) {
    const seen = wallClock(instant, zone);
    instant += asUtc - Date.UTC(seen.year, seen.month - 1, seen.day, seen.hour, seen.minute);
  }
  return instant;
};

/** @param {string | undefined} timezone */
const zoneOf = (timezone) => {
  if (!timezone || timezone === 'UTC') return undefined;
  return new Intl.DateTimeFormat('en-US', { timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
};

/**
 * @param {string} expression @param {string} body @param {Intl.DateTimeFormat | undefined} zone
 * @returns {Schedule}
 */
const parseCron = (expression, body, zone) => {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) throw new ScheduleExpressionError(expression, `a cron has 6 fields (minutes hours day-of-month month day-of-week year), not ${fields.length}`);
  const [minutesText, hoursText, dayOfMonthText, monthText, dayOfWeekText, yearText] = /** @type {[string, string, string, string, string, string]} */ (fields);
  const minutes = numbersOf(expression, minutesText, MINUTES);
  const hours = numbersOf(expression, hoursText, HOURS);
  const months = numbersOf(expression, monthText, MONTH);
  const years = numbersOf(expression, yearText, YEARS);
  const dayOfMonth = dayOfMonthField(expression, dayOfMonthText);
  const dayOfWeek = dayOfWeekField(expression, dayOfWeekText);
  if (Boolean(dayOfMonth) === Boolean(dayOfWeek)) {
    throw new ScheduleExpressionError(expression, 'exactly one of day-of-month and day-of-week must be `?`');
  }
  const sortedHours = [...hours].sort((a, b) => a - b);
  const sortedMinutes = [...minutes].sort((a, b) => a - b);

  return {
    kind: 'cron',
    expression,
    next: (after) => {
      // From the wall-clock minute after `after`, day by day.
      const start = wallClock(after, zone);
      let day = new Date(Date.UTC(start.year, start.month - 1, start.day));
      for (let i = 0; i < SEARCH_DAYS; i += 1, day = new Date(day.getTime() + DAY_MS)) {
        const [year, month, date] = [day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate()];
        if (!years.has(year) || !months.has(month) || !dayMatches({ dayOfMonth, dayOfWeek }, year, month, date)) continue;
        const today = i === 0;
        for (const hour of sortedHours) {
          if (today && hour < start.hour) continue;
          for (const minute of sortedMinutes) {
            const instant = instantOf({ year, month, day: date, hour, minute }, zone);
            if (instant > after) return instant;
          }
        }
      }
      return undefined;
    },
  };
};

/** @param {string} expression @param {string} body @param {Intl.DateTimeFormat | undefined} zone @returns {Schedule} */
const parseAt = (expression, body, zone) => {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(body.trim());
  if (!match) throw new ScheduleExpressionError(expression, 'a one-time schedule is `at(yyyy-mm-ddThh:mm:ss)`');
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  const instant = instantOf({ year: /** @type {number} */ (year), month: /** @type {number} */ (month), day: /** @type {number} */ (day), hour: /** @type {number} */ (hour), minute: /** @type {number} */ (minute) }, zone) + /** @type {number} */ (second) * 1000;
  if (Number.isNaN(instant)) throw new ScheduleExpressionError(expression, 'not a date');
  return { kind: 'at', expression, next: (after) => (instant > after ? instant : undefined) };
};

/**
 * Reads a schedule expression; throws a ScheduleExpressionError saying why it cannot.
 * @param {unknown} expression @param {{ timezone?: string }} [options] ScheduleExpressionTimezone, an IANA name
 * @returns {Schedule}
 */
export const parseSchedule = (expression, { timezone } = {}) => {
  if (typeof expression !== 'string') throw new ScheduleExpressionError(String(JSON.stringify(expression)), 'not a string');
  let zone;
  try {
    zone = zoneOf(timezone);
  } catch {
    throw new ScheduleExpressionError(expression, `unknown time zone ${JSON.stringify(timezone)}`);
  }
  const match = /^(rate|cron|at)\((.*)\)$/s.exec(expression.trim());
  if (!match) throw new ScheduleExpressionError(expression, 'a schedule is rate(…), cron(…) or at(…)');
  const [, kind, body = ''] = match;
  // A time zone changes nothing for a rate.
  if (kind === 'rate') return parseRate(expression, body);
  return kind === 'cron' ? parseCron(expression, body, zone) : parseAt(expression, body, zone);
};

/** A time as the stack's lines show it: `2025-01-31 14:05 UTC`. @param {number} instant */
export const formatUtc = (instant) => `${new Date(instant).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
