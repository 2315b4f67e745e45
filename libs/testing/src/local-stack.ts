import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const READY = /Local stack ready/;

export interface RunningStack {
  apiUrl: string;
  dynamodbEndpoint: string;
  snsSqsEndpoint: string;
  output(): string;
  stop(): Promise<void>;
}

const listen = (port: number) =>
  new Promise<net.Server | undefined>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });

/**
 * Distinct free ports: `singles` anywhere, plus a run of `runLength`
 * consecutive ones (the services' Lambda ports). All are held open until all
 * are found, so none is handed out twice.
 */
const reservePorts = async (singles: number, runLength: number) => {
  const held: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < singles; i += 1) {
      const server = (await listen(0)) as net.Server;
      held.push(server);
      ports.push((server.address() as net.AddressInfo).port);
    }
    for (;;) {
      const base = 20_000 + Math.floor(Math.random() * 40_000);
      const run = await Promise.all(Array.from({ length: runLength }, (_, i) => listen(base + i)));
      const opened = run.filter((server): server is net.Server => server !== undefined);
      held.push(...opened);
      if (opened.length === runLength) return { ports, runBase: base };
    }
  } finally {
    await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))));
  }
};

/**
 * Starts the system exactly as `npm start` does, on free ports so it can run
 * beside a developer's own stack, and resolves once it prints its ready line.
 */
export const startLocalStack = async ({
  timeoutMs = 240_000,
  env = {},
}: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<RunningStack> => {
  // Every service takes two consecutive internal ports (see tools/local/start.mjs). The same
  // rule as discoverServices() in tools/local/lib/services.mjs, which this CommonJS build cannot import.
  const services = readdirSync(path.join(ROOT, 'services')).filter((name) => existsSync(path.join(ROOT, 'services', name, 'serverless.yml')));
  const { ports: [http, dynamodb, snsSqs], runBase } = await reservePorts(3, 2 * services.length);
  const ports = { http: http as number, dynamodb: dynamodb as number, snsSqs: snsSqs as number, lambdaBase: runBase };
  const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, 'tools/local/start.mjs')], {
    cwd: ROOT,
    env: {
      ...process.env,
      HTTP_PORT: String(ports.http),
      DYNAMODB_PORT: String(ports.dynamodb),
      SNS_SQS_PORT: String(ports.snsSqs),
      LAMBDA_PORT_BASE: String(ports.lambdaBase),
      // The stack must start its own emulators, not reuse a test run's.
      AWS_ENDPOINT_URL_DYNAMODB: '',
      ...env,
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
    snsSqsEndpoint: `http://127.0.0.1:${ports.snsSqs}`,
    output: () => output,
    stop,
  };
};
