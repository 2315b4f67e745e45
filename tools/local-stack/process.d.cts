// Types of process.cjs, for the TypeScript that loads it.
import type { ChildProcess } from 'node:child_process';

export interface TimedLine {
  atMs: number;
  line: string;
}

export interface RunningStack {
  /** True when this is the one stack a test run shares (tools/local-stack/with-stack.mjs): stop() leaves it running. */
  shared: boolean;
  apiUrl: string;
  /** The local console's address, when the stack runs one. */
  consoleUrl: string | undefined;
  dynamodbEndpoint: string;
  snsSqsEndpoint: string;
  /** The local S3 front (S3_PORT); absent from a shared stack started before it existed. */
  s3Endpoint?: string;
  readyMs: number;
  pid: number;
  lines: TimedLine[];
  output(): string;
  exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  stop(): Promise<void>;
}

export declare function startLocalStack(options?: {
  timeoutMs?: number;
  /** Added to its environment; as a function, given the emulators' ports first (e.g. to put a proxy in front of them). */
  env?: Record<string, string> | ((ports: { dynamodb: number; snsSqs: number }) => Promise<Record<string, string>> | Record<string, string>);
}): Promise<RunningStack>;
export declare function recordLines(child: ChildProcess): TimedLine[];
export declare function waitForLine(child: ChildProcess, lines: TimedLine[], ready: RegExp, timeoutMs: number, name: string): Promise<number>;
export declare const SHARED_STACK_VARIABLE: 'LOCAL_STACK_SHARED';
export declare function stopChild(child: ChildProcess, options?: { group?: boolean; graceMs?: number }): Promise<void>;
