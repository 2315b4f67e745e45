// A fault-injecting TCP proxy (node:net) to put in front of an emulator's port.
// Modes, switched at any time with setMode:
//   pass   forward both ways
//   refuse stop listening: new connections are refused (ECONNREFUSED); existing ones are reset
//   reset  destroy every existing connection (RST) once, then pass
//   delay  forward, each chunk held for `delayMs`
//   stall  accept, never forward (and hold what is already open)
import net from 'node:net';

/** @typedef {'pass' | 'refuse' | 'reset' | 'delay' | 'stall'} FaultMode */
export const MODES = /** @type {const} */ (['pass', 'refuse', 'reset', 'delay', 'stall']);

/**
 * @param {{ targetPort: number, targetHost?: string, port?: number, host?: string }} options  port 0: a free one
 */
export const startFaultProxy = async ({ targetPort, targetHost = '127.0.0.1', port = 0, host = '127.0.0.1' }) => {
  /** @type {FaultMode} */
  let mode = 'pass';
  let delayMs = 0;
  /** @type {Set<net.Socket>} */
  const sockets = new Set();
  const counts = { connections: 0, refusedOrReset: 0 };

  /** @param {net.Socket} from @param {net.Socket} to */
  const pipe = (from, to) => {
    from.on('data', (chunk) => {
      if (mode === 'stall') return; // swallowed: the peer waits for an answer that never comes
      if (mode === 'delay' && delayMs > 0) {
        from.pause();
        setTimeout(() => {
          if (!to.destroyed) to.write(chunk);
          from.resume();
        }, delayMs);
      } else if (!to.destroyed) to.write(chunk);
    });
    from.on('end', () => to.end());
  };

  /** @param {net.Socket} client */
  const onConnection = (client) => {
    counts.connections += 1;
    const upstream = net.connect(targetPort, targetHost);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    pipe(client, upstream);
    pipe(upstream, client);
  };

  /** @type {net.Server} */
  let server = net.createServer(onConnection);
  const listen = () =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        port = /** @type {net.AddressInfo} */ (server.address()).port;
        resolve(undefined);
      });
    });
  const resetAll = () => {
    for (const socket of sockets) {
      counts.refusedOrReset += 1;
      socket.resetAndDestroy();
    }
  };
  await listen();

  return {
    get port() {
      return port;
    },
    get mode() {
      return mode;
    },
    counts,
    /** @param {FaultMode} next @param {{ delayMs?: number }} [options] */
    setMode: async (next, { delayMs: ms = 0 } = {}) => {
      if (!MODES.includes(next)) throw new Error(`unknown fault mode ${next}`);
      const wasRefusing = mode === 'refuse';
      delayMs = ms;
      if (next === 'reset' || next === 'refuse') resetAll();
      if (next === 'refuse' && !wasRefusing) await new Promise((resolve) => server.close(() => resolve(undefined)));
      if (next !== 'refuse' && wasRefusing) {
        server = net.createServer(onConnection);
        await listen();
      }
      mode = next === 'reset' ? 'pass' : next;
    },
    stop: async () => {
      resetAll();
      if (mode !== 'refuse') await new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
};
