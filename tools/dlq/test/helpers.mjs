// What the DLQ tests share: running the CLI in this process or as its own
// process, and reading queues directly.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { main } from '../lib/cli.mjs';

export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dlq.mjs');

/**
 * Runs `dlq <args>` in this process, capturing what it prints.
 * @param {string[]} args @param {NodeJS.ProcessEnv} env
 */
export const run = async (args, env) => {
  let out = '';
  let err = '';
  const code = await main(args, { env, stdout: { write: (s) => (out += s) }, stderr: { write: (s) => (err += s) } });
  return { code, out, err };
};

/** The environment without anything that could reach a real AWS account. */
export const isolatedEnv = (extra = {}) => {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  return {
    ...env,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
    AWS_CONFIG_FILE: '/nonexistent/config',
    ...extra,
  };
};

/**
 * Runs `node tools/dlq/dlq.mjs <args>` as its own process, as `npm run dlq` does.
 * @param {string[]} args @param {NodeJS.ProcessEnv} env
 * @returns {Promise<{ code: number | null, out: string, err: string }>}
 */
export const runProcess = (args, env) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out, err }));
  });

/** @param {import('@aws-sdk/client-sqs').SQSClient} sqs @param {string} name */
export const urlOf = async (sqs, name) => /** @type {string} */ ((await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl);

/** Visible and in-flight messages of a queue. @param {import('@aws-sdk/client-sqs').SQSClient} sqs @param {string} name */
export const countsOf = async (sqs, name) => {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: await urlOf(sqs, name), AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return { visible: Number(Attributes.ApproximateNumberOfMessages), inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible) };
};

/**
 * Takes every visible message of a queue for good (receives with a long
 * visibility timeout and returns them): what a consumer would get.
 * @param {import('@aws-sdk/client-sqs').SQSClient} sqs @param {string} name
 */
export const drain = async (sqs, name) => {
  const url = await urlOf(sqs, name);
  const messages = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 600, MessageAttributeNames: ['All'], WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) return messages;
    messages.push(...Messages);
  }
};

/**
 * Polls `probe` until it returns something other than undefined.
 * @template T
 * @param {() => Promise<T | undefined>} probe @param {string} what @param {number} [timeoutMs]
 * @returns {Promise<T>}
 */
export const waitFor = async (probe, what, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
};

/** A valid event envelope around `data`. @param {string} type @param {string} id @param {unknown} data */
export const envelope = (type, id, data, source = 'order-processor') => JSON.stringify({ id, type, version: 1, occurredAt: new Date().toISOString(), source, data });
