import { S3ImageStorage } from '../../src/adapters/s3-image-storage';

// The presigned POST's policy, as S3 will enforce it: signed locally by the SDK, no call made.
describe('the upload form S3ImageStorage grants', () => {
  const env = { ...process.env };
  beforeAll(() => {
    Object.assign(process.env, { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' });
    delete process.env.AWS_ENDPOINT_URL_S3;
  });
  afterAll(() => {
    process.env = env;
  });

  it('pins the key, the type, the metadata and the size, and expires', async () => {
    const started = Date.now();
    const form = await new S3ImageStorage('images-bucket').uploadForm({
      key: 'uploads/item-1/0190-x',
      contentType: 'image/png',
      maxBytes: 5_242_880,
      expiresInSeconds: 300,
      metadata: { 'upload-slot': '2', 'correlation-id': 'req-1' },
    });
    expect(form.url).toBe('https://images-bucket.s3.eu-west-1.amazonaws.com/');
    expect(form.fields).toMatchObject({
      key: 'uploads/item-1/0190-x',
      'Content-Type': 'image/png',
      'x-amz-meta-upload-slot': '2',
      'x-amz-meta-correlation-id': 'req-1',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      bucket: 'images-bucket',
    });
    const policy = JSON.parse(Buffer.from(String(form.fields.Policy), 'base64').toString('utf8')) as { expiration: string; conditions: unknown[] };
    const expiresIn = Date.parse(policy.expiration) - started;
    expect(expiresIn).toBeGreaterThan(290_000);
    expect(expiresIn).toBeLessThanOrEqual(301_000);
    expect(policy.conditions).toEqual(
      expect.arrayContaining([
        ['content-length-range', 1, 5_242_880],
        ['eq', '$Content-Type', 'image/png'],
        ['eq', '$x-amz-meta-upload-slot', '2'],
        ['eq', '$x-amz-meta-correlation-id', 'req-1'],
        { key: 'uploads/item-1/0190-x' },
        { bucket: 'images-bucket' },
      ]),
    );
    // Every field the client sends is under a condition (S3 refuses extra fields), the signature aside.
    const conditioned = new Set(
      policy.conditions.flatMap((condition) =>
        Array.isArray(condition) ? [String(condition[1]).replace(/^\$/, '').toLowerCase()] : Object.keys(condition as object).map((name) => name.toLowerCase()),
      ),
    );
    for (const field of Object.keys(form.fields).filter((name) => !['policy', 'x-amz-signature'].includes(name.toLowerCase()))) {
      expect(conditioned).toContain(field.toLowerCase());
    }
  });
});
