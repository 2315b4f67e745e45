import { captureOutput, type CapturedOutput } from '@platform/testing';
import type { Context } from 'aws-lambda';

// A stand-in for the Tracer as it is in Lambda: a facade segment for the invocation.
const mockCalls: string[] = [];
const mockSubsegment = { close: () => mockCalls.push('close') };
const mockSegment = {
  addNewSubsegment: (name: string) => {
    mockCalls.push(`subsegment ${name}`);
    return mockSubsegment;
  },
};
let mockTracing = true;
jest.mock('@platform/observability', () => ({
  ...jest.requireActual('@platform/observability'),
  getTracer: () =>
    mockTracing
      ? {
          getSegment: () => mockSegment,
          setSegment: (segment: unknown) => mockCalls.push(segment === mockSegment ? 'active: facade' : 'active: subsegment'),
          annotateColdStart: () => mockCalls.push('annotate ColdStart'),
          addServiceNameAnnotation: () => mockCalls.push('annotate Service'),
          addErrorAsMetadata: (error: Error) => mockCalls.push(`error ${error.message}`),
        }
      : undefined,
}));

// After the mock: the wrapper must see the stand-in.
import { countMetric } from '@platform/observability';
import { instrumented } from '../src';

const context = { awsRequestId: 'r', functionName: 'items-api-dev-createItem' } as Context;
let output: CapturedOutput;

beforeEach(() => {
  mockCalls.length = 0;
  mockTracing = true;
  process.env._HANDLER = 'src/handlers/create-item.handler';
  output = captureOutput();
});
afterEach(() => output.restore());

describe('instrumented', () => {
  it('runs the invocation in an annotated subsegment of its own, then restores the facade segment', async () => {
    const handler = instrumented(async (event: { n: number }) => {
      mockCalls.push('handler');
      return event.n + 1;
    });
    await expect(handler({ n: 1 }, context)).resolves.toBe(2);
    expect(mockCalls).toEqual([
      'subsegment ## src/handlers/create-item.handler',
      'active: subsegment',
      'annotate ColdStart',
      'annotate Service',
      'handler',
      'close',
      'active: facade',
    ]);
  });

  it('records the error on the subsegment, closes it, and still writes the metrics of a failed invocation', async () => {
    const handler = instrumented(async () => {
      countMetric('RecordsFailed');
      throw new Error('boom');
    });
    await expect(handler({}, context)).rejects.toThrow('boom');
    expect(mockCalls.slice(-3)).toEqual(['error boom', 'close', 'active: facade']);
    expect(output.metrics().map(({ name }) => name)).toEqual(['RecordsFailed']);
  });

  it('touches no trace when tracing is off', async () => {
    mockTracing = false;
    await instrumented(async () => 'ok')({}, context);
    expect(mockCalls).toEqual([]);
  });
});
