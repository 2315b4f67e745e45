import { sqsMessageHandler } from '@platform/handler-kit';
import { countMetric, withCorrelationId } from '@platform/observability';
import * as z from 'zod';
import { itemImages } from './context';

// What S3 sends to the queue: an event notification with its records, or, once,
// when the bucket's notification is set up, a test event (nothing to do).
const S3TestEvent = z.object({ Event: z.literal('s3:TestEvent') });
const S3Notification = z.object({
  Records: z.array(
    z.object({
      eventName: z.string(),
      s3: z.object({ bucket: z.object({ name: z.string() }), object: z.object({ key: z.string() }) }),
    }),
  ),
});
export const S3Message = z.union([S3TestEvent, S3Notification]);

/** An event's object key as S3 writes it: form-encoded (a space is `+`). */
export const objectKeyOf = (encoded: string) => decodeURIComponent(encoded.replace(/\+/g, ' '));

export const handler = sqsMessageHandler(S3Message, async (message, { logger }) => {
  if ('Event' in message) {
    logger.info('S3 test event: the bucket notification reaches this queue');
    return;
  }
  for (const record of message.Records) {
    const key = objectKeyOf(record.s3.object.key);
    if (!record.eventName.startsWith('ObjectCreated:')) {
      logger.warn('not an object created: ignored', { eventName: record.eventName, key });
      continue;
    }
    // The upload carries the flow of the request that granted it: its item's change joins that flow.
    const upload = await itemImages().readUpload(key);
    await withCorrelationId(upload?.correlationId, async () => {
      const result = await itemImages().processUpload(key, upload);
      switch (result.outcome) {
        case 'recorded':
          countMetric('ImagesAccepted');
          logger.info('image recorded on its item', { key, itemId: result.itemId, imageId: result.image.id, bytes: result.image.bytes, replaced: result.replaced, correlationId: upload?.correlationId });
          break;
        case 'already-done':
          logger.info('upload already processed: nothing to do', { key, itemId: result.itemId, imageId: result.imageId });
          break;
        case 'refused':
          countMetric('ImagesRejected', { reason: result.reason });
          logger.warn('upload refused and deleted; the item is unchanged', { key, reason: result.reason, detail: result.detail, correlationId: upload?.correlationId });
          break;
      }
    });
  }
});
