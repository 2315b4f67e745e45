// The emulators hold every table, topic and queue with no IAM or authorizer in
// front: they must listen on loopback only, never on an address the network
// reaches. What the kernel says (ss -ltnp) is the judge, not what they were
// asked for: fauxqs and DynamoDB Local both ignored that once.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { networkInterfaces } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { startDynamoDbLocal } from '../emulators/dynamodb-local.mjs';
import { startSnsSqs } from '../emulators/sns-sqs.mjs';
import { startS3Front } from '../s3/s3-front.mjs';
import { freePort, stopAll } from '../stack/processes.mjs';

/** @typedef {{ address: string, port: number, pids: number[], line: string }} Listener */

/**
 * One line of `ss -ltnpH`: state, queues, local address:port, peer, process.
 * @param {string} line @returns {Listener}
 */
export const parseSsLine = (line) => {
  const [, , , local = ''] = line.trim().split(/\s+/);
  const colon = local.lastIndexOf(':');
  const address = local.slice(0, colon).replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  return { address, port: Number(local.slice(colon + 1)), pids: [...line.matchAll(/pid=(\d+)/g)].map((match) => Number(match[1])), line };
};

/** Every listening TCP socket, with the processes that hold it. @returns {Listener[]} */
const listeners = () => {
  const ss = spawnSync('ss', ['-ltnpH'], { encoding: 'utf8' });
  if (ss.error) throw new Error(`this test reads listening sockets with \`ss\` (iproute2), which did not run: ${ss.error.message}. Install iproute2.`);
  if (ss.status !== 0) throw new Error(`ss -ltnpH failed (exit ${ss.status}): ${ss.stderr}`);
  return ss.stdout.split('\n').filter((line) => line.trim()).map(parseSsLine);
};

/** 127.0.0.0/8, ::1 and IPv4-mapped 127.x: nothing else is loopback. @param {string} address */
export const isLoopback = (address) => /^(::ffff:)?127\.\d+\.\d+\.\d+$/i.test(address) || address === '::1';

/** Whether a TCP connection to host:port is accepted. @param {string} host @param {number} port @returns {Promise<boolean>} */
const accepts = (host, port) =>
  new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 2_000 });
    socket.once('connect', () => socket.end(() => resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });

/** This machine's addresses other than loopback (what the network reaches it on). */
const networkAddresses = () =>
  Object.values(networkInterfaces())
    .flat()
    .filter((info) => info && !info.internal && !info.address.startsWith('fe80:'))
    .map((info) => /** @type {import('node:os').NetworkInterfaceInfo} */ (info).address);

describe('parsing ss', () => {
  it('reads the address, port and processes of each form ss prints', () => {
    assert.deepEqual(parseSsLine('LISTEN 0 511 0.0.0.0:42493 0.0.0.0:* users:(("node",pid=24168,fd=24))').address, '0.0.0.0');
    assert.deepEqual(parseSsLine('LISTEN 0 50 *:45595 *:* users:(("java",pid=24210,fd=122))').address, '*');
    const mapped = parseSsLine('LISTEN 0 50 [::ffff:127.0.0.1]:45999 *:* users:(("java",pid=7,fd=1),("sh",pid=8,fd=3))');
    assert.deepEqual([mapped.address, mapped.port, mapped.pids], ['::ffff:127.0.0.1', 45999, [7, 8]]);
    assert.equal(parseSsLine('LISTEN 0 4096 127.0.0.53%lo:53 0.0.0.0:*').address, '127.0.0.53');
    assert.equal(parseSsLine('LISTEN 0 511 [::]:8080 [::]:*').address, '::');
  });

  it('takes only loopback addresses for loopback', () => {
    for (const address of ['127.0.0.1', '127.0.0.53', '::1', '::ffff:127.0.0.1']) assert.equal(isLoopback(address), true, address);
    for (const address of ['0.0.0.0', '*', '::', '::ffff:0.0.0.0', '192.0.2.2', '10.127.0.1']) assert.equal(isLoopback(address), false, address);
  });
});

describe('the emulators listen on loopback only', () => {
  /** @type {Awaited<ReturnType<typeof startDynamoDbLocal>>} */
  let dynamodb;
  /** @type {Awaited<ReturnType<typeof startSnsSqs>>} */
  let snsSqs;
  /** @type {Awaited<ReturnType<typeof startS3Front>>} */
  let s3Front;
  let dynamodbPort = 0;

  before(async () => {
    dynamodbPort = await freePort();
    [dynamodb, snsSqs] = await Promise.all([startDynamoDbLocal(dynamodbPort), startSnsSqs(0)]);
    // The S3 front (S3_PORT) fronts fauxqs's S3 for clients on this machine: loopback only too.
    s3Front = await startS3Front({ upstreamPort: snsSqs.port, region: 'us-east-1', log: () => {}, sqs: /** @type {any} */ (undefined) });
  });

  after(async () => {
    await s3Front?.close();
    await snsSqs?.stop();
    await stopAll();
  });

  it('binds every socket DynamoDB Local, fauxqs and the S3 front hold to 127.0.0.1 or ::1', () => {
    // fauxqs runs in this process, DynamoDB Local in its own JVM.
    const owners = new Set([process.pid, /** @type {number} */ (dynamodb.process.pid)]);
    const held = listeners().filter(({ pids }) => pids.some((pid) => owners.has(pid)));
    const ports = new Set(held.map(({ port }) => port));
    assert.ok(ports.has(dynamodbPort), `no listener of DynamoDB Local on ${dynamodbPort} in:\n${held.map(({ line }) => line).join('\n')}`);
    assert.ok(ports.has(snsSqs.port), `no listener of fauxqs on ${snsSqs.port} in:\n${held.map(({ line }) => line).join('\n')}`);
    assert.ok(ports.has(s3Front.port), `no listener of the S3 front on ${s3Front.port} in:\n${held.map(({ line }) => line).join('\n')}`);
    const open = held.filter(({ address }) => !isLoopback(address));
    assert.deepEqual(open.map(({ line }) => line), [], 'listening beyond loopback');
  });

  it('answers on 127.0.0.1 and refuses connections to the machine\'s other addresses', async () => {
    for (const port of [dynamodbPort, snsSqs.port, s3Front.port]) {
      assert.equal(await accepts('127.0.0.1', port), true, `nothing answers on 127.0.0.1:${port}`);
      for (const address of networkAddresses()) assert.equal(await accepts(address, port), false, `${address}:${port} accepts connections`);
    }
  });
});
