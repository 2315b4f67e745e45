import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { reservePorts } from './local-aws.cjs';

const ROOT = path.resolve(__dirname, '../../..');
const READY = /Local stack ready/;

export interface RunningStack {
  apiUrl: string;
  dynamodbEndpoint: string;
  snsSqsEndpoint: string;
  output(): string;
  stop(): Promise<void>;
}

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
