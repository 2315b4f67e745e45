import { httpHandler } from '@platform/handler-kit';
import { countMetric } from '@platform/observability';
import { ImageUploadRequestSchema } from '../domain';
import { itemImages } from './context';
import type { ImageUploadBody } from './responses';
import { ItemPath } from './schemas';

export const handler = httpHandler({ path: ItemPath, body: ImageUploadRequestSchema }, async ({ path, body, requestId }) => {
  // The upload carries the request's id, so processing it later joins this request's flow.
  const grant = await itemImages().grantUpload(path.id, body, { correlationId: requestId });
  countMetric('ImageUploadsGranted');
  return { statusCode: 201, body: grant satisfies ImageUploadBody };
});
