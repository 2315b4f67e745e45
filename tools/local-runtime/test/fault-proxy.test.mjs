// The fault proxy's modes against an echo server, without a stack.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startFaultProxy } from '../faults/fault-proxy.mjs';

/** Sends `text` on a new connection; resolves with what came back, or the error code, or 'timeout'. @param {number} port */
const exchange = (port, text = 'ping', timeoutMs = 500) =>
  new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const started = Date.now();
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ result: 'timeout', ms: Date.now() - started });
    }, timeoutMs);
    socket.on('connect', () => socket.write(text));
    socket.on('data', (data) => {
      clearTimeout(timer);
      socket.end();
      resolve({ result: data.toString(), ms: Date.now() - started });
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      resolve({ result: /** @type {any} */ (error).code, ms: Date.now() - started });
    });
  });

describe('the fault proxy', () => {
  let echo;
  let proxy;
  before(async () => {
    echo = net.createServer((socket) => socket.on('data', (d) => socket.write(`echo ${d}`)).on('error', () => {}));
    await new Promise((resolve) => echo.listen(0, '127.0.0.1', resolve));
    proxy = await startFaultProxy({ targetPort: /** @type {net.AddressInfo} */ (echo.address()).port });
  });
  after(async () => {
    await proxy.stop();
    await new Promise((resolve) => echo.close(resolve));
  });

  it('passes', async () => {
    assert.equal((await exchange(proxy.port)).result, 'echo ping');
  });

  it('refuses new connections and resets open ones, then listens again on the same port', async () => {
    const open = net.connect(proxy.port, '127.0.0.1');
    await new Promise((resolve) => open.once('connect', resolve));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const closed = new Promise((resolve) => open.once('close', resolve));
    open.on('error', () => {});
    await proxy.setMode('refuse');
    await closed;
    assert.equal((await exchange(proxy.port)).result, 'ECONNREFUSED');
    await proxy.setMode('pass');
    assert.equal((await exchange(proxy.port)).result, 'echo ping');
  });

  it('resets existing connections once', async () => {
    const open = net.connect(proxy.port, '127.0.0.1');
    open.on('error', () => {});
    await new Promise((resolve) => open.once('connect', resolve));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const closed = new Promise((resolve) => open.once('close', resolve));
    await proxy.setMode('reset');
    await closed;
    assert.equal(proxy.mode, 'pass');
    assert.equal((await exchange(proxy.port)).result, 'echo ping');
  });

  it('delays each chunk', async () => {
    await proxy.setMode('delay', { delayMs: 150 });
    const { result, ms } = await exchange(proxy.port, 'ping', 2000);
    assert.equal(result, 'echo ping');
    assert.ok(ms >= 290, `answered after ${ms} ms`);
    await proxy.setMode('pass');
  });

  it('stalls: accepts, never answers', async () => {
    await proxy.setMode('stall');
    assert.equal((await exchange(proxy.port, 'ping', 300)).result, 'timeout');
    await proxy.setMode('pass');
    assert.equal((await exchange(proxy.port)).result, 'echo ping');
  });
});
