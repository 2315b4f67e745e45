import type { Context } from 'aws-lambda';
import { httpEvent } from '@platform/testing';
import { handler as createItem } from '../../src/handlers/create-item';
import { handler as listItems } from '../../src/handlers/list-items';
import { handler as updateItem } from '../../src/handlers/update-item';

// What the routes refuse before they touch the table: no store is reached here.
const context = { awsRequestId: 'aws-req-1', functionName: 'fn' } as Context;

const request = httpEvent;

const refusal = (result: { statusCode?: number; body?: string }) => ({ status: result.statusCode, ...JSON.parse(result.body ?? '{}').error });

describe('GET /items limit', () => {
  const list = (limit: string) => listItems(request({ queryStringParameters: { limit } }), context);

  it.each(['0x10', '0b1', '0o7', '1e1', '16.0', '+16', '-1', ' 16', '16 ', '', 'Infinity', '١٦', '16abc'])(
    'refuses %p: only plain decimal digits are a limit',
    async (limit) => {
      expect(refusal(await list(limit))).toMatchObject({
        status: 400,
        code: 'BAD_REQUEST',
        message: 'Invalid query parameters',
        details: [expect.objectContaining({ path: 'query.limit' })],
      });
    },
  );

  it('refuses a limit out of range in the same shape', async () => {
    for (const limit of ['0', '101']) {
      expect(refusal(await list(limit))).toMatchObject({ status: 400, code: 'BAD_REQUEST', details: [expect.objectContaining({ path: 'query.limit' })] });
    }
  });
});

describe('item names', () => {
  const odd = ['nul\u0000', 'bell\u0007ring', 'del\u007f', 'next\u0085line', 'c1\u009f', 'lone high \ud800', 'lone low \udc00', 'reversed \udc00\ud800'];
  const create = (name: string) =>
    createItem(request({ routeKey: 'POST /items', body: JSON.stringify({ name, priceCents: 1, stock: 1 }) }), context);
  const update = (name: string) =>
    updateItem(request({ routeKey: 'PATCH /items/{id}', pathParameters: { id: 'i1' }, body: JSON.stringify({ expectedVersion: 1, name }) }), context);

  it.each(odd)('refuses %j on create with 422 at `name`', async (name) => {
    expect(refusal(await create(name))).toMatchObject({ status: 422, code: 'VALIDATION_FAILED', details: [expect.objectContaining({ path: 'name' })] });
  });

  it.each(odd)('refuses %j on update (PATCH) with 422 at `name`', async (name) => {
    expect(refusal(await update(name))).toMatchObject({ status: 422, code: 'VALIDATION_FAILED', details: [expect.objectContaining({ path: 'name' })] });
  });
});
