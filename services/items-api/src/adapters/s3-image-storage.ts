import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { awsClient, awsClientConfig } from '@platform/observability';
import { SNIFF_BYTES, type ImageStorage, type ImageType, type StoredUpload } from '../domain';

/** How long an image URL an item carries may be used. */
export const IMAGE_URL_SECONDS = 15 * 60;

let client: S3Client | undefined;

/**
 * One S3 client per container. Locally the standard AWS_ENDPOINT_URL_S3 points
 * it at the local stack's S3 (an address, not a bucket host name: path-style
 * URLs); in AWS it is unset, and URLs name the bucket's own host.
 */
const s3 = (): S3Client =>
  (client ??= awsClient(new S3Client({ ...awsClientConfig(), forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) })));

const isMissing = (error: unknown) =>
  error instanceof S3ServiceException && (error.name === 'NoSuchKey' || error.name === 'NotFound' || error.$metadata.httpStatusCode === 404);

/** The total size S3 gives in a ranged GET's Content-Range (`bytes 0-15/12345`). */
const totalOf = (contentRange: string | undefined, fallback: number): number => {
  const total = /\/(\d+)$/.exec(contentRange ?? '')?.[1];
  return total === undefined ? fallback : Number(total);
};

const numberOrUndefined = (value: string | undefined) => (value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined);

/** Item images in one S3 bucket: presigned forms and URLs, signed with the function's own role. */
export class S3ImageStorage implements ImageStorage {
  constructor(private readonly bucket: string) {}

  async uploadForm({ key, contentType, maxBytes, expiresInSeconds, metadata }: Parameters<ImageStorage['uploadForm']>[0]) {
    const metaFields = Object.fromEntries(Object.entries(metadata).map(([name, value]) => [`x-amz-meta-${name}`, value]));
    const fields = { 'Content-Type': contentType, ...metaFields };
    // A POST policy, unlike a presigned PUT, bounds the size (content-length-range) and pins every field.
    const { url, fields: signed } = await createPresignedPost(s3(), {
      Bucket: this.bucket,
      Key: key,
      Fields: fields,
      Conditions: [
        ['content-length-range', 1, maxBytes],
        ...Object.entries(fields).map(([name, value]) => ['eq', `$${name}`, value] as ['eq', string, string]),
      ],
      Expires: expiresInSeconds,
    });
    return { url, fields: signed };
  }

  async readUpload(key: string): Promise<StoredUpload | undefined> {
    try {
      const object = await s3().send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=0-${SNIFF_BYTES - 1}` }));
      const head = (await object.Body?.transformToByteArray()) ?? new Uint8Array();
      return {
        declaredType: object.ContentType,
        bytes: totalOf(object.ContentRange, object.ContentLength ?? head.length),
        head,
        slot: numberOrUndefined(object.Metadata?.['upload-slot']),
        ...(object.Metadata?.['correlation-id'] && { correlationId: object.Metadata['correlation-id'] }),
      };
    } catch (error) {
      if (isMissing(error)) return undefined;
      // An empty object has no byte 0: S3 refuses the range. Its head says the rest.
      if (error instanceof S3ServiceException && error.name === 'InvalidRange') {
        const head = await s3().send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
        return { declaredType: head.ContentType, bytes: head.ContentLength ?? 0, head: new Uint8Array(), slot: numberOrUndefined(head.Metadata?.['upload-slot']) };
      }
      throw error;
    }
  }

  async copy(from: string, to: string, contentType: ImageType): Promise<void> {
    await s3().send(
      new CopyObjectCommand({
        Bucket: this.bucket,
        Key: to,
        CopySource: `${this.bucket}/${from.split('/').map(encodeURIComponent).join('/')}`,
        // The checked type, not the declared one; an image id is never reused, so its file never changes.
        MetadataDirective: 'REPLACE',
        ContentType: contentType,
        CacheControl: 'private, max-age=31536000, immutable',
      }),
    );
  }

  async delete(key: string): Promise<void> {
    await s3().send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  /** A URL that reads the image for IMAGE_URL_SECONDS: signing is local, no call to S3. */
  imageUrl(key: string): Promise<string> {
    return getSignedUrl(s3(), new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: IMAGE_URL_SECONDS });
  }
}
