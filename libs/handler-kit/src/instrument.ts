import { captureColdStart, getTracer, publishMetrics, withInvocationDeadline } from '@platform/observability';
import type { Context } from 'aws-lambda';

/**
 * What every function does around each invocation, without a middleware
 * engine. httpHandler, sqsEventHandler and streamOutboxHandler wrap their
 * handler in it, so no service handler repeats it:
 *  - the first invocation of a container counts a `ColdStart` metric;
 *  - in AWS, the invocation gets its own trace subsegment, `## <handler>`,
 *    annotated with `Service` and `ColdStart` (and the error, when it
 *    throws), under which the captured SDK calls appear. Without tracing
 *    (locally, in tests) nothing of this runs;
 *  - its AWS calls keep to a deadline a second before the timeout
 *    (withInvocationDeadline): a hung dependency fails the call in time to
 *    answer 503 or fail the record, instead of the invocation timing out;
 *  - whatever the invocation counted (countMetric) is written, however it ended.
 */
export const instrumented =
  <E, R>(handle: (event: E, context: Context) => Promise<R>) =>
  async (event: E, context: Context): Promise<R> => {
    captureColdStart(context.functionName);
    const tracer = getTracer();
    // The facade segment Lambda made for the invocation; a subsegment of our own can carry annotations.
    const segment = tracer?.getSegment();
    const subsegment = segment?.addNewSubsegment(`## ${process.env._HANDLER ?? context.functionName}`);
    if (tracer && subsegment) {
      tracer.setSegment(subsegment);
      tracer.annotateColdStart();
      tracer.addServiceNameAnnotation();
    }
    try {
      return await withInvocationDeadline(context, () => handle(event, context));
    } catch (error) {
      if (subsegment) tracer?.addErrorAsMetadata(error as Error);
      throw error;
    } finally {
      if (tracer && segment && subsegment) {
        subsegment.close();
        tracer.setSegment(segment);
      }
      publishMetrics();
    }
  };
