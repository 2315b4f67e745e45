import { api, apiUrl, callers, stackOutput } from '../support/local';

const responses: Array<{ status: number; text: string }> = [];

const call = async (method: string, path: string, body?: string | object, headers: Record<string, string> = {}) => {
  const response = await api(method, path, body, headers);
  responses.push({ status: response.status, text: response.text });
  return response;
};

describe('the HTTP API through the local gateway', () => {
  let id: string;

  it('POST /items creates an item (201) and GET returns it', async () => {
    const created = await call('POST', '/items', { name: 'pen', priceCents: 120, stock: 5 }, callers.staff());
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'pen', priceCents: 120, stock: 5, version: 1 });
    id = created.json.id;
    const read = await call('GET', `/items/${id}`);
    expect(read.status).toBe(200);
    expect(read.json).toEqual(created.json);
  });

  it('answers 400 to malformed JSON', async () => {
    const response = await call('POST', '/items', '{"name": "pen", ', callers.staff());
    expect(response.status).toBe(400);
    expect(response.json.error.code).toBe('BAD_REQUEST');
  });

  it('answers 422 with field paths to a schema violation', async () => {
    const response = await call('POST', '/items', { name: '', priceCents: 'free', stock: -1 }, callers.staff());
    expect(response.status).toBe(422);
    expect(response.json.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['name', 'priceCents', 'stock']);
  });

  it('answers 413 to an oversized body', async () => {
    const response = await call('POST', '/items', { name: 'x', description: 'y'.repeat(64 * 1024), priceCents: 1, stock: 1 }, callers.staff());
    expect(response.status).toBe(413);
    expect(response.json.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers 404 to unknown ids on GET, PATCH and DELETE', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await call('GET', `/items/${unknown}`)).status).toBe(404);
    expect((await call('PATCH', `/items/${unknown}`, { expectedVersion: 1, stock: 1 }, callers.staff())).status).toBe(404);
    expect((await call('DELETE', `/items/${unknown}`, undefined, callers.staff())).status).toBe(404);
  });

  it('PATCH applies at the expected version and answers 409 to a stale one', async () => {
    const updated = await call('PATCH', `/items/${id}`, { expectedVersion: 1, stock: 9 }, callers.staff());
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({ id, stock: 9, version: 2 });
    const stale = await call('PATCH', `/items/${id}`, { expectedVersion: 1, stock: 1 }, callers.staff());
    expect(stale.status).toBe(409);
    expect(stale.json.error.code).toBe('CONFLICT');
  });

  it('GET /items walks every item across several pages', async () => {
    const created: string[] = [id];
    for (let i = 0; i < 4; i += 1) created.push((await call('POST', '/items', { name: `page-${i}`, priceCents: i, stock: i }, callers.staff())).json.id);
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = await call('GET', `/items?limit=2${query}`);
      expect(page.status).toBe(200);
      ids.push(...page.json.items.map((item: { id: string }) => item.id));
      cursor = page.json.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBeGreaterThan(1);
    // Other files' items share the stack: each item appears once, ours among them.
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(created));
  });

  it('answers 400 to a tampered cursor and to a bad limit', async () => {
    const first = await call('GET', '/items?limit=1');
    const cursor: string = first.json.nextCursor;
    const tampered = `${cursor.slice(0, 5)}${cursor[5] === 'A' ? 'B' : 'A'}${cursor.slice(6)}`;
    expect((await call('GET', `/items?limit=1&cursor=${encodeURIComponent(tampered)}`)).status).toBe(400);
    expect((await call('GET', '/items?limit=abc')).status).toBe(400);
    expect((await call('GET', '/items?limit=1000')).status).toBe(400);
  });

  it('POST /orders answers 202 PENDING for the token’s customer, and 400/422/404 to bad orders', async () => {
    const accepted = await call('POST', '/orders', { itemId: id, quantity: 1 }, { ...callers.ada(), 'idempotency-key': 'e2e-1' });
    expect(accepted.status).toBe(202);
    expect(accepted.json).toEqual({ orderId: expect.any(String), status: 'PENDING' });
    expect((await call('GET', `/orders/${accepted.json.orderId}`, undefined, callers.ada())).json).toMatchObject({ id: accepted.json.orderId, itemId: id });
    expect((await call('POST', '/orders', '{"itemId":', callers.ada())).status).toBe(400);
    const invalid = await call('POST', '/orders', { itemId: id, quantity: 0, customerEmail: 'not-an-email' }, callers.ada());
    expect(invalid.status).toBe(422);
    expect(invalid.json.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['customerEmail', 'quantity']);
    const badKey = await call('POST', '/orders', { itemId: id, quantity: 1 }, { ...callers.ada(), 'idempotency-key': 'has spaces' });
    expect(badKey.status).toBe(422);
    // order-processor cannot read the catalogue: an unknown item is accepted, then rejected (see order-flow).
    expect((await call('POST', '/orders', { itemId: 'no-such-item', quantity: 1 }, callers.ada())).status).toBe(202);
    expect((await call('GET', '/orders/no-such-order', undefined, callers.ada())).status).toBe(404);
  });

  it('takes the customer from the token: the body may repeat her email, never name another; another customer sees a 404', async () => {
    const own = await call('POST', '/orders', { itemId: id, quantity: 1, customerEmail: 'ada@example.com' }, callers.ada());
    expect(own.status).toBe(202);
    const spoofed = await call('POST', '/orders', { itemId: id, quantity: 1, customerEmail: 'victim@example.com' }, callers.ada());
    expect(spoofed.status).toBe(422);
    expect(spoofed.json.error.details).toEqual([expect.objectContaining({ path: 'customerEmail' })]);
    const bobs = await call('GET', `/orders/${own.json.orderId}`, undefined, callers.bob());
    const missing = await call('GET', '/orders/no-such-order', undefined, callers.bob());
    expect(bobs.status).toBe(404);
    // Exactly as an id that never existed, so it tells Bob nothing.
    expect(bobs.json.error.code).toBe(missing.json.error.code);
  });

  it('answers 401 without a token and 403 without the items:write scope, and changes nothing', async () => {
    // An item of its own: the orders above still change the shared one's stock as they are decided.
    const untouched = await call('POST', '/items', { name: 'untouched', priceCents: 1, stock: 3 }, callers.staff());
    const id: string = untouched.json.id;
    const before = await call('GET', `/items/${id}`);
    const noToken = await call('POST', '/items', { name: 'free', priceCents: 1, stock: 1 });
    expect(noToken.status).toBe(401);
    expect(noToken.json.error.code).toBe('UNAUTHORIZED');
    expect(noToken.headers.get('www-authenticate')).toBe('Bearer');
    const customer = await call('PATCH', `/items/${id}`, { expectedVersion: before.json.version, stock: 0 }, callers.ada());
    expect(customer.status).toBe(403);
    expect(customer.json.error.code).toBe('FORBIDDEN');
    expect((await call('DELETE', `/items/${id}`, undefined, { authorization: 'Bearer not.a.token' })).status).toBe(401);
    expect((await call('POST', '/orders', { itemId: id, quantity: 1 })).status).toBe(401);
    expect((await call('GET', '/orders/anything')).status).toBe(401);
    expect((await call('GET', `/items/${id}`)).json).toEqual(before.json);
  });

  it('serves the OpenAPI document at /openapi.json and its rendered reference at /docs, fetching nothing remote', async () => {
    const document = await call('GET', '/openapi.json');
    expect(document.status).toBe(200);
    expect(document.json.openapi).toMatch(/^3\.1\./);
    expect(Object.keys(document.json.paths).sort()).toEqual(['/items', '/items/{id}', '/items/{id}/image-uploads', '/orders', '/orders/{id}']);
    expect(document.json.components.securitySchemes.jwt).toMatchObject({ type: 'http', scheme: 'bearer' });
    const docs = await fetch(`${apiUrl()}/docs`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toMatch(/^text\/html/);
    expect(docs.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(await docs.text()).not.toMatch(/<script[^>]+src="https?:/);
  });

  it('answers an unknown route or method with 404 in the API’s error shape', async () => {
    for (const [method, path] of [['GET', '/nothing-here'], ['PUT', '/items'], ['POST', '/orders/abc'], ['GET', '/']] as const) {
      const response = await call(method, path);
      expect({ method, path, status: response.status, code: response.json?.error?.code }).toEqual({ method, path, status: 404, code: 'NOT_FOUND' });
    }
  });

  it('serves /items from items-api and /orders from order-processor, and says so in the log', () => {
    const log = stackOutput();
    expect(log).toMatch(/\[gateway\] POST \/items → items-api 201/);
    expect(log).toMatch(/\[gateway\] POST \/orders → order-processor 202/);
    expect(log).toMatch(/\[items-api\] .*"service":"items-api"/);
    expect(log).toMatch(/\[order-processor\] .*"service":"order-processor"/);
  });

  it('DELETE removes the item (204) and a second DELETE is 404', async () => {
    expect((await call('DELETE', `/items/${id}`, undefined, callers.staff())).status).toBe(204);
    expect((await call('GET', `/items/${id}`)).status).toBe(404);
    expect((await call('DELETE', `/items/${id}`, undefined, callers.staff())).status).toBe(404);
  });

  it('answered no request with a 5xx, and no error body carries a stack trace', () => {
    expect(responses.length).toBeGreaterThan(20);
    expect(responses.filter((r) => r.status >= 500)).toEqual([]);
    for (const { status, text } of responses.filter((r) => r.status >= 400)) {
      expect({ status, text }).toEqual({ status, text: expect.not.stringMatching(/\bat .+:\d+|stack|node_modules/i) });
      expect(Object.keys(JSON.parse(text))).toEqual(['error']);
    }
  });
});
