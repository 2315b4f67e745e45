import { captureOutput, type CapturedOutput } from '@platform/testing';
import { captureColdStart, countMetric, publishMetrics } from '../src';

// Read by Powertools when the container's Metrics is made, on first use. Lambda
// sets AWS_LAMBDA_INITIALIZATION_TYPE; without it Powertools counts no cold start.
process.env.POWERTOOLS_SERVICE_NAME = 'order-processor';
process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';

let output: CapturedOutput;
beforeEach(() => {
  output = captureOutput();
});
afterEach(() => output.restore());

const emfLines = () => output.lines().filter((line) => line.includes('"_aws"')).map((line) => JSON.parse(line));

describe('business metrics', () => {
  it('writes nothing when the invocation counted nothing', () => {
    publishMetrics();
    expect(output.lines()).toEqual([]);
  });

  it('sums the counts into one EMF line per set of dimensions, in the stage namespace, with the service', () => {
    countMetric('OrdersConfirmed');
    countMetric('OrdersRejected', { reason: 'OUT_OF_STOCK' });
    countMetric('OrdersConfirmed');
    countMetric('OrdersRejected', { reason: 'ITEM_NOT_FOUND' });
    countMetric('OrdersRejected', { reason: 'OUT_OF_STOCK' });
    countMetric('EventsPublished', {}, 3);
    publishMetrics();

    expect(output.metrics()).toEqual([
      { namespace: 'Platform/test', name: 'OrdersConfirmed', value: 2, dimensions: { service: 'order-processor' } },
      { namespace: 'Platform/test', name: 'EventsPublished', value: 3, dimensions: { service: 'order-processor' } },
      { namespace: 'Platform/test', name: 'OrdersRejected', value: 2, dimensions: { service: 'order-processor', reason: 'OUT_OF_STOCK' } },
      { namespace: 'Platform/test', name: 'OrdersRejected', value: 1, dimensions: { service: 'order-processor', reason: 'ITEM_NOT_FOUND' } },
    ]);
    expect(emfLines()).toHaveLength(3);
    expect(emfLines()[0]._aws.CloudWatchMetrics[0].Metrics).toEqual([
      { Name: 'OrdersConfirmed', Unit: 'Count' },
      { Name: 'EventsPublished', Unit: 'Count' },
    ]);
  });

  it('starts afresh after a flush: nothing counted twice, no dimension left over', () => {
    countMetric('StockRejected', { reason: 'OUT_OF_STOCK' });
    publishMetrics();
    output.clear();
    countMetric('StockReserved');
    publishMetrics();
    expect(output.metrics()).toEqual([{ namespace: 'Platform/test', name: 'StockReserved', value: 1, dimensions: { service: 'order-processor' } }]);
  });

  it('counts the cold start once per container, by function', () => {
    captureColdStart('order-processor-test-settleOrders');
    captureColdStart('order-processor-test-settleOrders');
    expect(output.metrics()).toEqual([
      {
        namespace: 'Platform/test',
        name: 'ColdStart',
        value: 1,
        dimensions: { service: 'order-processor', function_name: 'order-processor-test-settleOrders' },
      },
    ]);
  });
});
