import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { S3Client } from '@aws-sdk/client-s3';
import { DEFAULT_REGION, functionAccessKeyId, functionSecretAccessKey } from '@platform/local-runtime/aws';
import { api, callers, s3, s3Endpoint, sqs, stackOutput, waitFor } from '../support/local';

// Item images end to end on the local stack, with real multipart uploads to the local S3 (the
// presigned POST's policy, signature and IAM checked as S3 checks them), its notification to the
// queue, processImage, and the item as the API answers it.
const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...Array.from({ length: 200 }, (_, index) => index % 256)]);
const BUCKET = `items-api-local-images-000000000000-${DEFAULT_REGION}`;

interface Grant {
  imageId: string;
  upload: { url: string; fields: Record<string, string>; expiresAt: string; maxBytes: number };
}

const newItem = async () => {
  const created = await api('POST', '/items', { name: 'poster', priceCents: 900, stock: 3 }, callers.staff());
  expect(created.status).toBe(201);
  expect(created.json.image).toBeNull();
  return created.json.id as string;
};

const grant = async (itemId: string, contentType = 'image/png'): Promise<Grant> => {
  const response = await api('POST', `/items/${itemId}/image-uploads`, { contentType }, callers.staff());
  expect(response.status).toBe(201);
  return response.json as Grant;
};

/** The browser's form POST: the fields as given (or as a test changes them), then the file, last. */
const post = async (upload: Grant['upload'], file: Uint8Array, fields: Record<string, string> = upload.fields, type = 'image/png') => {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([file], { type }), 'image.png');
  const response = await fetch(upload.url, { method: 'POST', body: form });
  return { status: response.status, text: await response.text() };
};

const uploadsOf = async (itemId: string) =>
  ((await s3().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `uploads/${itemId}/` }))).Contents ?? []).map((object) => object.Key);

const itemOf = async (itemId: string) => (await api('GET', `/items/${itemId}`)).json;

describe('item images', () => {
  it('an upload in bounds becomes the item\'s image; its URL returns the same bytes', async () => {
    const itemId = await newItem();
    const { imageId, upload } = await grant(itemId);
    expect(upload.url.startsWith(s3Endpoint())).toBe(true);
    expect(upload.maxBytes).toBe(5 * 1024 * 1024);
    expect(Date.parse(upload.expiresAt) - Date.now()).toBeGreaterThan(200_000);
    expect((await post(upload, PNG)).status).toBe(204);
    const item = await waitFor(async () => {
      const current = await itemOf(itemId);
      return current.image ? current : undefined;
    }, 'the image on the item');
    expect(item).toMatchObject({ version: 2, image: { contentType: 'image/png', bytes: PNG.length } });
    const image = await fetch(item.image.url);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(new Uint8Array(await image.arrayBuffer())).toEqual(PNG);
    expect(item.image.url).toContain(`images/${itemId}/${imageId}.png`);
    expect(await uploadsOf(itemId)).toEqual([]);
    // The list carries it too.
    const page = await api('GET', '/items?limit=100');
    expect(page.json.items.find((listed: { id: string }) => listed.id === itemId)?.image).toMatchObject({ contentType: 'image/png', bytes: PNG.length });
  });

  it('a body over maxBytes is refused by storage (400 EntityTooLarge) and the item is unchanged', async () => {
    const itemId = await newItem();
    const { upload } = await grant(itemId);
    const tooBig = new Uint8Array(upload.maxBytes + 1);
    tooBig.set(PNG);
    const answer = await post(upload, tooBig);
    expect(answer.status).toBe(400);
    expect(answer.text).toContain('<Code>EntityTooLarge</Code>');
    expect(await uploadsOf(itemId)).toEqual([]);
    expect(await itemOf(itemId)).toMatchObject({ version: 1, image: null });
  });

  it('a Content-Type other than the one granted is refused by storage (403, policy)', async () => {
    const itemId = await newItem();
    const { upload } = await grant(itemId);
    const answer = await post(upload, PNG, { ...upload.fields, 'Content-Type': 'text/html' }, 'text/html');
    expect(answer.status).toBe(403);
    expect(answer.text).toContain('<Code>AccessDenied</Code>');
    expect(answer.text).toContain('Invalid according to Policy');
    expect(await uploadsOf(itemId)).toEqual([]);
  });

  it('a text file declared image/png is stored, then refused by processImage and deleted; the item is unchanged', async () => {
    const itemId = await newItem();
    const { upload } = await grant(itemId);
    expect((await post(upload, new TextEncoder().encode('<html>not an image</html>'))).status).toBe(204);
    await waitFor(async () => (stackOutput().includes(`"key":"uploads/${itemId}/`) && stackOutput().includes('CONTENT_MISMATCH') ? true : undefined), 'processImage to refuse the upload');
    await waitFor(async () => ((await uploadsOf(itemId)).length === 0 ? true : undefined), 'the refused upload to be deleted');
    expect(await itemOf(itemId)).toMatchObject({ version: 1, image: null });
  });

  it('an expired policy is refused (403)', async () => {
    const itemId = await newItem();
    const { imageId, upload } = await grant(itemId);
    // The same form the function signs, signed with its (local) key but already expired.
    const signer = new S3Client({
      endpoint: s3Endpoint(),
      forcePathStyle: true,
      region: DEFAULT_REGION,
      credentials: { accessKeyId: functionAccessKeyId('items-api-local-createImageUpload'), secretAccessKey: functionSecretAccessKey('items-api-local-createImageUpload') },
    });
    const fields = { 'Content-Type': 'image/png', 'x-amz-meta-upload-slot': upload.fields['x-amz-meta-upload-slot'] as string };
    const expired = await createPresignedPost(signer, {
      Bucket: BUCKET,
      Key: `uploads/${itemId}/${imageId}`,
      Fields: fields,
      Conditions: [['content-length-range', 1, upload.maxBytes], ...Object.entries(fields).map(([name, value]) => ['eq', `$${name}`, value] as ['eq', string, string])],
      Expires: 1,
    });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const answer = await post({ ...upload, ...expired }, PNG, expired.fields);
    expect(answer.status).toBe(403);
    expect(answer.text).toContain('Policy expired');
    expect(await uploadsOf(itemId)).toEqual([]);
  });

  it('a tampered signature is refused (403 SignatureDoesNotMatch)', async () => {
    const itemId = await newItem();
    const { upload } = await grant(itemId);
    const signature = upload.fields['X-Amz-Signature'] as string;
    const tampered = `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`;
    const answer = await post(upload, PNG, { ...upload.fields, 'X-Amz-Signature': tampered });
    expect(answer.status).toBe(403);
    expect(answer.text).toContain('<Code>SignatureDoesNotMatch</Code>');
    // And a policy rewritten to allow more, with the old signature: refused too.
    const policy = JSON.parse(Buffer.from(upload.fields.Policy as string, 'base64').toString('utf8'));
    policy.conditions = policy.conditions.map((condition: unknown) => (Array.isArray(condition) && condition[0] === 'content-length-range' ? ['content-length-range', 1, 1e9] : condition));
    const widened = await post(upload, PNG, { ...upload.fields, Policy: Buffer.from(JSON.stringify(policy)).toString('base64') });
    expect(widened.status).toBe(403);
    expect(await uploadsOf(itemId)).toEqual([]);
  });

  it('a redelivered notification changes nothing', async () => {
    const itemId = await newItem();
    const { imageId, upload } = await grant(itemId);
    expect((await post(upload, PNG)).status).toBe(204);
    const item = await waitFor(async () => {
      const current = await itemOf(itemId);
      return current.image ? current : undefined;
    }, 'the image on the item');
    // S3 delivers at least once: the same notification again.
    const { QueueUrl } = await sqs().send(new GetQueueUrlCommand({ QueueName: 'items-api-local-image-uploads' }));
    const key = `uploads/${itemId}/${imageId}`;
    const record = {
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: DEFAULT_REGION,
      eventTime: new Date().toISOString(),
      eventName: 'ObjectCreated:Post',
      s3: { s3SchemaVersion: '1.0', configurationId: 'redelivery', bucket: { name: BUCKET, arn: `arn:aws:s3:::${BUCKET}` }, object: { key, size: PNG.length } },
    };
    await sqs().send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify({ Records: [record] }) }));
    await waitFor(async () => (stackOutput().includes(`upload already processed: nothing to do","key":"${key}"`) || stackOutput().match(new RegExp(`already processed[^\\n]*${key}`)) ? true : undefined), 'processImage to see the redelivery');
    expect(await itemOf(itemId)).toMatchObject({ version: item.version, image: { contentType: 'image/png', bytes: PNG.length } });
  });

  it('refuses a 4th pending upload (429 with Retry-After), an unknown item (404), a type it does not take (422) and no token (401)', async () => {
    const itemId = await newItem();
    for (let n = 0; n < 3; n += 1) await grant(itemId);
    const fourth = await api('POST', `/items/${itemId}/image-uploads`, { contentType: 'image/png' }, callers.staff());
    expect(fourth.status).toBe(429);
    expect(fourth.json.error.code).toBe('TOO_MANY_REQUESTS');
    expect(Number(fourth.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await api('POST', '/items/no-such-item/image-uploads', { contentType: 'image/png' }, callers.staff())).status).toBe(404);
    expect((await api('POST', `/items/${itemId}/image-uploads`, { contentType: 'image/gif' }, callers.staff())).status).toBe(422);
    expect((await api('POST', `/items/${itemId}/image-uploads`, {})).status).toBe(401);
    expect((await api('POST', `/items/${itemId}/image-uploads`, 'not json', callers.staff())).status).toBe(400);
  });

  it('deleting the item deletes its image', async () => {
    const itemId = await newItem();
    const { upload } = await grant(itemId);
    expect((await post(upload, PNG)).status).toBe(204);
    const item = await waitFor(async () => {
      const current = await itemOf(itemId);
      return current.image ? current : undefined;
    }, 'the image on the item');
    expect((await api('DELETE', `/items/${itemId}`, undefined, callers.staff())).status).toBe(204);
    const images = await s3().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `images/${itemId}/` }));
    expect(images.Contents ?? []).toEqual([]);
    expect((await fetch(item.image.url)).status).toBe(404);
  });
});
