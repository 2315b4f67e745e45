// The Tracer is replaced by a stand-in that records being made: loading the
// real one installs the X-Ray SDK's async hooks in the test process.
const mockTracerMade = jest.fn();
jest.mock('@aws-lambda-powertools/tracer', () => ({
  Tracer: jest.fn().mockImplementation(() => {
    mockTracerMade();
    return { captureAWSv3Client: <T extends object>(client: T) => ({ ...client, traced: true }) };
  }),
}));

type Tracing = typeof import('../src/tracing');

/** A fresh copy of the module (its tracer is made once per container), with `env` set. */
const tracingWith = (env: Record<string, string | undefined>): Tracing => {
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  let tracing: Tracing | undefined;
  jest.isolateModules(() => {
    tracing = jest.requireActual<Tracing>('../src/tracing');
  });
  return tracing as Tracing;
};

const client = { name: 'DynamoDBClient' };

describe('tracing', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    mockTracerMade.mockClear();
  });

  it('is off outside Lambda, and the Tracer is never loaded', () => {
    const tracing = tracingWith({ AWS_EXECUTION_ENV: undefined, POWERTOOLS_TRACE_ENABLED: undefined });
    expect(tracing.getTracer()).toBeUndefined();
    expect(tracing.captureAWSv3Client(client)).toBe(client);
    expect(mockTracerMade).not.toHaveBeenCalled();
  });

  it('is off on the local stage (POWERTOOLS_TRACE_ENABLED=false), and the Tracer is never loaded', () => {
    const tracing = tracingWith({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', POWERTOOLS_TRACE_ENABLED: 'false' });
    expect(tracing.captureAWSv3Client(client)).toBe(client);
    expect(mockTracerMade).not.toHaveBeenCalled();
  });

  it('in Lambda, captures SDK clients with one Tracer per container', () => {
    const tracing = tracingWith({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', POWERTOOLS_TRACE_ENABLED: undefined });
    expect(tracing.captureAWSv3Client(client)).toEqual({ name: 'DynamoDBClient', traced: true });
    expect(tracing.captureAWSv3Client(client)).toEqual({ name: 'DynamoDBClient', traced: true });
    expect(tracing.getTracer()).toBeDefined();
    expect(mockTracerMade).toHaveBeenCalledTimes(1);
  });
});
