import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const READY = /Local stack ready/;

export interface RunningStack {
  apiUrl: string;
  dynamodbEndpoint: string;
  output(): string;
  stop(): Promise<void>;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

/** A run of lambda ports for the services, starting at a free port. */
const freePortRun = async (length: number): Promise<number> => {
  for (;;) {
    const base = await freePort();
    if (base + length > 65535) continue;
    const free = await Promise.all(
      Array.from({ length }, (_, i) =>
        new Promise<boolean>((resolve) => {
          const server = net.createServer();
          server.once('error', () => resolve(false));
          server.listen(base + i, '127.0.0.1', () => server.close(() => resolve(true)));
        }),
      ),
    );
    if (free.every(Boolean)) return base;
  }
};

/**
 * Starts the system exactly as `npm start` does, on free ports so it can run
 * beside a developer's own stack, and resolves once it prints its ready line.
 */
export const startLocalStack = async (timeoutMs = 240_000): Promise<RunningStack> => {
  const ports = { http: await freePort(), dynamodb: await freePort(), lambdaBase: await freePortRun(8) };
  const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, 'tools/local/start.mjs')], {
    cwd: ROOT,
    env: {
      ...process.env,
      ITEMS_API_PORT: String(ports.http),
      DYNAMODB_PORT: String(ports.dynamodb),
      LAMBDA_PORT_BASE: String(ports.lambdaBase),
      // The stack must start its own emulators, not reuse a test run's.
      AWS_ENDPOINT_URL_DYNAMODB: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The local stack was not ready in ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (READY.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The local stack exited (${code}) before it was ready:\n${output}`));
    });
  }).catch(async (error) => {
    await stop();
    throw error;
  });

  return {
    apiUrl: `http://127.0.0.1:${ports.http}`,
    dynamodbEndpoint: `http://127.0.0.1:${ports.dynamodb}`,
    output: () => output,
    stop,
  };
};
