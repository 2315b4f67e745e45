// Each service with functions runs under its own serverless-offline, which
// runs them with their serverless.yml environment, timeout and bundle; the
// local stack only calls its Lambda Invoke API (see lambda-invoke.mjs).
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { resourcesOfType } from '../cloudformation/cfn.mjs';
import { startChild } from '../stack/processes.mjs';
import { LOCAL_STAGE, SERVERLESS_BIN } from '../stack/services.mjs';
import { usage } from '../stack/usage.mjs';
import workerMeter from './worker-meter.cjs';

const { METER_LINE_PREFIX } = workerMeter;

/** Whether serverless.yml has a top-level `functions:` key: known before its template is compiled. @param {import('@platform/local-runtime/types').Service} service */
export const declaresFunctions = (service) => /^functions:/m.test(readFileSync(path.join(service.dir, 'serverless.yml'), 'utf8'));

/** @param {import('@platform/local-runtime/types').CfnTemplate} template */
export const hasFunctions = (template) => resourcesOfType(template, 'AWS::Lambda::Function').length > 0;

/**
 * What the invoker needs to know of each function of a compiled template.
 * @param {import('@platform/local-runtime/types').CfnTemplate} template @param {number} lambdaPort
 * @param {string} [node]  the Node version its serverless-offline reported (reportedNode)
 * @returns {import('./lambda-invoke.mjs').LocalFunction[]}
 */
export const localFunctions = (template, lambdaPort, node) =>
  resourcesOfType(template, 'AWS::Lambda::Function').map(([, { Properties = {} }]) => ({
    name: Properties.FunctionName,
    lambdaPort,
    timeoutSeconds: Properties.Timeout ?? 6,
    reservedConcurrency: Properties.ReservedConcurrentExecutions,
    runtime: { node, deployed: Properties.Runtime },
  }));

// Printed by the local plugin in serverless-offline's process (serverless-plugins/local-function-credentials.js).
const RUNTIME_LINE = /^local-runtime: functions run on node (v\d+\.\d+\.\d+)$/;

/**
 * The Node version a serverless-offline runs its functions on, as it said at start (undefined if it did not).
 * @param {{ recentOutput?: () => string }} child
 */
export const reportedNode = (child) =>
  child.recentOutput?.().split('\n').map((line) => withoutColours(line).match(RUNTIME_LINE)?.[1]).find(Boolean);

/**
 * Whether the Node a function runs on locally is the major version of the runtime it deploys to.
 * @param {string | undefined} node  e.g. v22.23.2 @param {string | undefined} deployed  e.g. nodejs22.x
 */
export const sameMajor = (node, deployed) => Boolean(node && deployed && node.match(/^v(\d+)\./)?.[1] === deployed.match(/^nodejs(\d+)\.x$/)?.[1]);

/**
 * Starts serverless-offline for one service. Its own HTTP server gets a port
 * of its own but no traffic: the gateway invokes the functions directly.
 * @param {{ name: string, dir: string }} service
 * @param {{ lambda: number, http: number }} ports
 * @param {Record<string, string>} env
 * @param {{ showDebug?: boolean }} [options]  showDebug: print its debug lines too (offlineDebugLines)
 */
// --noAuth concerns only serverless-offline's own HTTP server, which gets no traffic: the
// gateway verifies every token (jwt-authorizer.mjs). serverless-offline 14 never checks a JWT's
// signature (it needs --ignoreJWTSignature to use an authorizer at all) and, without it, fails
// to set up a route that names one. --host 127.0.0.1: its servers stay off the network
// (its default, localhost, may resolve to ::1, where the invoker does not call).
export const startOffline = (service, ports, env, { showDebug = false } = {}) =>
  startChild(service.name, process.execPath, [SERVERLESS_BIN, 'offline', 'start', '--stage', LOCAL_STAGE, '--noAuth', '--host', '127.0.0.1', '--lambdaPort', String(ports.lambda), '--httpPort', String(ports.http)], {
    cwd: service.dir,
    // Its notices (a banner, a line per invocation) repeat what the gateway and the
    // pollers log, through one more pipe per line; its warnings and errors stay.
    env: { SLS_LOG_LEVEL: process.env.SLS_LOG_LEVEL || 'warning', ESBUILD_WORK_FOLDER: offlineWorkFolder(), ...env },
    debugLines: offlineDebugLines,
    showDebug,
    claim: claimMeterLine,
  });

/**
 * Takes the line worker-meter.cjs prints for each invocation (its CPU time, duration and
 * output, measured in its worker thread) into the stack's usage meter.
 * @param {string} line @param {import('../stack/usage.mjs').Usage} [meter]
 */
export const claimMeterLine = (line, meter = usage) => {
  const at = line.indexOf(METER_LINE_PREFIX);
  if (at < 0) return false;
  try {
    const figures = JSON.parse(line.slice(at + METER_LINE_PREFIX.length));
    meter.runtime({
      functionName: String(figures.functionName),
      cold: Boolean(figures.cold),
      durationMs: Number(figures.durationMs),
      cpuMs: Number(figures.cpuMs),
      heapMb: Number(figures.heapMb),
      logBytes: Number(figures.logBytes),
      logLines: Number(figures.logLines),
      emfLines: Number(figures.emfLines),
      emfMetrics: Number(figures.emfMetrics),
    });
  } catch {
    // a line cut short: its invocation goes uncounted
  }
  return true;
};

// eslint-disable-next-line no-control-regex -- an escape sequence is what it matches
const ANSI_ESCAPE = /\u001b\[[0-9;]*m/g;
/** A line as printed, without its colours. @param {string} line */
export const withoutColours = (line) => line.replace(ANSI_ESCAPE, '');

/**
 * Which of serverless-offline's lines are debug detail: the block it prints for
 * every invocation that threw, crashed or timed out (`× Unhandled exception in
 * handler '…'.`, the error with its stack trace, among them serverless-offline's
 * own frames for a worker it stopped, `workerDied: true }`, and `× Unhandled
 * Lambda Error during invoke of '…': …`). The caller already says, in one
 * line with the request id, what failed and what the client got
 * (gateway/http-gateway.mjs, the pollers); the block shows with LOG_LEVEL=DEBUG.
 * One per output stream: a block's lines come on the same stream.
 * @returns {(line: string) => boolean}
 */
export const offlineDebugLines = () => {
  let inBlock = false;
  return (raw) => {
    // Coloured when the stack runs with FORCE_COLOR (as Nx runs its tasks): read without the colours.
    const line = withoutColours(raw);
    if (RUNTIME_LINE.test(line)) return true; // said once in the ready report instead
    if (line.startsWith("× Unhandled exception in handler '")) {
      inBlock = true;
      return true;
    }
    if (!inBlock) return false;
    if (line.startsWith("× Unhandled Lambda Error during invoke of '")) {
      inBlock = false;
      return true;
    }
    if (/^(×|\s)/.test(line)) return true;
    inBlock = false;
    return false;
  };
};

/**
 * Where this stack's serverless-offline processes bundle the functions. Each
 * stack has its own: serverless-esbuild deletes its work folder when it stops,
 * and a shared .esbuild would vanish from under every other stack of this
 * checkout (`npm start` beside `npm test`), whose functions would then all fail.
 */
export const offlineWorkFolder = () => process.env.ESBUILD_WORK_FOLDER || `.esbuild-offline-${process.pid}`;

/** Removes this stack's work folders, in case a serverless-offline was killed before it cleaned up. @param {import('@platform/local-runtime/types').Service[]} services */
export const removeOfflineWorkFolders = (services) => {
  for (const service of services) rmSync(path.join(service.dir, offlineWorkFolder()), { recursive: true, force: true });
};
