import type { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * Whether this container traces: in Lambda (AWS_EXECUTION_ENV is set there,
 * not under serverless-offline or Jest) unless POWERTOOLS_TRACE_ENABLED is
 * "false", as on the local stage. The same rule Powertools Tracer applies to
 * itself, checked first so that the Tracer is not even loaded when off.
 */
const tracingWanted = (): boolean =>
  (process.env.POWERTOOLS_TRACE_ENABLED ?? '').toLowerCase() !== 'false' && Boolean(process.env.AWS_EXECUTION_ENV);

let tracer: Tracer | null | undefined;

/**
 * The container's Powertools Tracer, or undefined when tracing is off.
 *
 * Loaded on first use, and only when tracing is on: loading the X-Ray SDK
 * installs its async hooks (cls-hooked) for the whole process, which slows
 * every promise down several times, even with tracing disabled. A `require`
 * rather than `import()`: a client made at module scope is captured too, and
 * esbuild evaluates a required module only when the call runs.
 */
export const getTracer = (): Tracer | undefined => {
  if (tracer === undefined) {
    tracer = tracingWanted()
      ? // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when tracing is on (see above)
        new (require('@aws-lambda-powertools/tracer') as typeof import('@aws-lambda-powertools/tracer')).Tracer()
      : null;
  }
  return tracer ?? undefined;
};

/**
 * An AWS SDK v3 client whose calls appear as subsegments of the invocation's
 * trace (service, operation, table or topic, duration, errors). The client
 * itself when tracing is off.
 */
export const captureAWSv3Client = <T>(client: T): T => getTracer()?.captureAWSv3Client(client) ?? client;
