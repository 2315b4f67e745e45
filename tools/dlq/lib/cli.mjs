// `npm run dlq -- <command>`: the operations of ./operations.mjs for a
// terminal. Expected failures print one line on stderr and exit 1 (2 for a
// wrong command line), having changed nothing.
import { parseArgs } from 'node:util';
import { DlqError, explainAwsError } from './errors.mjs';
import { assertPurgeAllowed, findDeadLetterQueue, listDeadLetterQueues, peekMessages, purge, redrive } from './operations.mjs';
import { createTarget, describeRegion } from './target.mjs';

export const USAGE = `Usage: npm run dlq -- <command> [queue] [options]

  list                       every dead-letter queue: messages, in flight, age of the oldest, source queue
  peek <queue> [--max N]     its messages (event id and type, attributes, receive count), not consumed (default 10)
  redrive <queue> [--max N]  move its messages back to their source queue (default all)
  purge <queue> --yes        delete all its messages; on a stage named like production, --force as well

  --stage <stage>   a deployed stage in AWS, with your AWS credentials and region
                    (default, or --stage local: the local stack of \`npm start\`, on SNS_SQS_PORT)
  --region <region> the AWS region (default: AWS_REGION or your profile's)
  --json            output as JSON
  --no-age          list: skip peeking for the oldest message's age

  <queue>: the full name, as list shows it (<service>-<stage>-<queue>-dlq), or the part after <service>-<stage>- (<queue>-dlq).`;

const COMMANDS = new Set(['list', 'peek', 'redrive', 'purge']);

/** @param {number | undefined} seconds */
export const formatAge = (seconds) => {
  if (seconds === undefined) return '-';
  const units = [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ];
  const parts = [];
  let rest = Math.round(seconds);
  for (const [unit, size] of units) {
    const n = Math.floor(rest / Number(size));
    if (n > 0 || (parts.length === 0 && unit === 's')) parts.push(`${n}${unit}`);
    rest -= n * Number(size);
    if (parts.length === 2) break;
  }
  return parts.join(' ');
};

/** @param {string[][]} rows @param {number[]} rightAligned column indexes */
const table = (rows, rightAligned = []) => {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows
    .map((row) =>
      row.map((cell, i) => (i === row.length - 1 ? cell : rightAligned.includes(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join('  '),
    )
    .join('\n');
};

/** @param {import('./operations.mjs').DeadLetterQueueSummary} q */
const sourceText = (q) => {
  if (q.kind === 'stream-failures') return 'none: failed stream batches of an outbox relay (cannot be redriven)';
  if (q.kind === 'orphan') return 'none: no queue names it in its RedrivePolicy';
  return q.sources.map((s) => `${s.name}${s.maxReceiveCount ? ` (after ${s.maxReceiveCount} receives)` : ''}`).join(', ');
};

/** @param {string} text @param {number} max */
const clip = (text, max) => (text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text);

/** @param {import('./operations.mjs').PeekedMessage} m @param {number} n */
const peekedText = (m, n) => {
  const lines = [`${n}. ${m.messageId}  received ${m.receiveCount}×  sent ${m.sentAt ?? '?'} (${formatAge(m.ageSeconds)} ago)`];
  if (m.event) {
    lines.push(`   event       ${m.event.type}  id ${m.event.id}  source ${m.event.source ?? '?'}  occurredAt ${m.event.occurredAt ?? '?'}`);
  } else if (m.streamBatch) {
    const b = /** @type {Record<string, unknown>} */ (m.streamBatch);
    lines.push(
      `   stream batch  shard ${b.shardId}  sequence ${b.startSequenceNumber} … ${b.endSequenceNumber}  ${b.batchSize} record(s)  ${b.streamArn ?? ''}`.trimEnd(),
    );
    if (m.failure) lines.push(`   failure      ${Object.entries(m.failure).map(([k, v]) => `${k}=${v}`).join('  ')}`);
  } else {
    lines.push('   (the body is not an event envelope)');
  }
  const attributes = Object.entries(m.messageAttributes);
  if (attributes.length > 0) lines.push(`   attributes  ${attributes.map(([k, v]) => `${k}=${v}`).join('  ')}`);
  if (m.deadLetterSourceArn) lines.push(`   died in     ${m.deadLetterSourceArn}`);
  lines.push(`   body        ${clip(m.body, 400)}`);
  return lines.join('\n');
};

/**
 * Runs one command line; resolves with the exit code.
 * @param {string[]} argv  the arguments after `dlq`
 * @param {{ env?: NodeJS.ProcessEnv, stdout?: { write(s: string): unknown }, stderr?: { write(s: string): unknown },
 *   signal?: AbortSignal, services?: string[] }} [io]
 * @returns {Promise<number>}
 */
export const main = async (argv, { env = process.env, stdout = process.stdout, stderr = process.stderr, signal, services } = {}) => {
  const out = (/** @type {string} */ text) => stdout.write(`${text}\n`);
  const fail = (/** @type {string} */ text, code = 1) => {
    stderr.write(`dlq: ${text}\n`);
    return code;
  };

  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        stage: { type: 'string' },
        region: { type: 'string' },
        max: { type: 'string' },
        yes: { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        'no-age': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    return fail(`${String(/** @type {Error} */ (error)?.message ?? error).split('\n')[0]} (npm run dlq -- --help)`, 2);
  }
  const { values, positionals } = parsed;
  const [command, queueName, ...extra] = positionals;
  if (values.help || command === 'help') {
    out(USAGE);
    return 0;
  }
  if (!command || !COMMANDS.has(command)) return fail(`${command ? `unknown command ${command}` : 'no command'}: use list, peek, redrive or purge (npm run dlq -- --help)`, 2);
  if (command !== 'list' && !queueName) return fail(`${command} needs a queue: npm run dlq -- ${command} <queue> (\`list\` shows them)`, 2);
  if (extra.length > 0 || (command === 'list' && queueName)) return fail(`unexpected argument ${command === 'list' ? queueName : extra[0]}`, 2);
  let max;
  if (values.max !== undefined) {
    max = Number(values.max);
    if (!/^\d+$/.test(values.max) || max < 1) return fail(`--max must be a whole number from 1, got ${values.max}`, 2);
  }

  let target;
  try {
    target = createTarget({ stage: values.stage, region: values.region, env, services });
  } catch (error) {
    if (error instanceof DlqError) return fail(error.message);
    throw error;
  }
  try {
    // Refused before anything is looked up, so a refusal never depends on the network.
    if (command === 'purge') assertPurgeAllowed(target.stage, { yes: values.yes, force: values.force });
    await describeRegion(target);

    if (command === 'list') {
      const queues = await listDeadLetterQueues(target, { sampleAge: !values['no-age'] });
      if (values.json) {
        // The raw queue attributes stay out: everything worth showing is a field already.
        out(JSON.stringify(queues, (key, value) => (key === 'attributes' ? undefined : value), 2));
        return 0;
      }
      out(`Dead-letter queues of ${target.where}, stage ${target.stage}:`);
      if (queues.length === 0) {
        out('(none)');
        return 0;
      }
      out(
        table(
          [
            ['QUEUE', 'MESSAGES', 'IN FLIGHT', 'OLDEST', 'SOURCE'],
            ...queues.map((q) => [
              q.name,
              String(q.depth),
              String(q.inFlight),
              q.oldestAgeSeconds === undefined ? '-' : `${q.ageIsLowerBound ? '≥' : ''}${formatAge(q.oldestAgeSeconds)}`,
              sourceText(q),
            ]),
          ],
          [1, 2],
        ),
      );
      if (!values['no-age'] && queues.some((q) => q.depth > 0)) {
        out('OLDEST: time since first sent (SentTimestamp of up to 10 peeked messages; the peek adds 1 to their receive count; ≥: more were not sampled).');
      }
      return 0;
    }

    const dlq = await findDeadLetterQueue(target, /** @type {string} */ (queueName));

    if (command === 'peek') {
      const depth = Number(dlq.attributes.ApproximateNumberOfMessages ?? 0);
      // Asking for no more than the queue holds spares a wait on the last, empty receive.
      const messages = await peekMessages(target, dlq, { max: Math.max(1, Math.min(max ?? 10, depth)) });
      if (values.json) {
        out(JSON.stringify(messages, null, 2));
        return 0;
      }
      out(`${dlq.name}: ${messages.length} of ~${Math.max(depth, messages.length)} message(s) shown, none consumed (each peek counts as a receive)`);
      messages.forEach((m, i) => out(`\n${peekedText(m, i + 1)}`));
      return 0;
    }

    if (command === 'redrive') {
      const interrupt = new AbortController();
      const onSigint = () => {
        if (interrupt.signal.aborted) process.exit(130);
        interrupt.abort();
        stderr.write('dlq: stopping after the current message (Ctrl-C again to quit at once; nothing is lost either way)\n');
      };
      process.on('SIGINT', onSigint);
      signal?.addEventListener('abort', () => interrupt.abort(), { once: true });
      try {
        const result = await redrive(target, dlq, {
          max,
          signal: interrupt.signal,
          onProgress: (p) => (values.json ? undefined : out(`  ${p.text}`)),
        });
        if (values.json) out(JSON.stringify(result, null, 2));
        else if (result.interrupted && result.strategy === 'move-task') {
          out(`Stopped watching; SQS move task ${result.taskHandle} keeps running (aws sqs cancel-message-move-task --task-handle '${result.taskHandle}' to stop it).`);
        } else {
          out(
            `${result.interrupted ? 'Interrupted after moving' : 'Moved'} ${result.moved} message(s) from ${dlq.name} to ${result.destinations.join(', ') || dlq.sources.map((s) => s.name).join(', ')}.` +
              (result.skipped ? ` Left ${result.skipped} that reached the DLQ after the redrive started.` : '') +
              (result.interrupted ? ' Run it again for the rest.' : ''),
          );
        }
        return result.interrupted ? 130 : 0;
      } finally {
        process.off('SIGINT', onSigint);
      }
    }

    // purge
    const { purged } = await purge(target, dlq, { yes: values.yes, force: values.force });
    out(values.json ? JSON.stringify({ queue: dlq.name, purged }) : `Purged ${dlq.name}: ${purged} message(s) deleted.`);
    return 0;
  } catch (/** @type {any} */ error) {
    const expected = explainAwsError(error, target);
    if (expected) return fail(expected.message);
    if (env.DLQ_DEBUG) stderr.write(`${error?.stack ?? error}\n`);
    return fail(`unexpected error: ${String(error?.message ?? error).split('\n')[0]} (DLQ_DEBUG=1 prints the stack)`);
  } finally {
    target.sqs.destroy();
  }
};
