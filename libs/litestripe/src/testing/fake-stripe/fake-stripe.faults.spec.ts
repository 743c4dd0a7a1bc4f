import Stripe from 'stripe';
import { FakeStripe } from './fake-stripe.server.js';
import { rejectionOf, stripeClient } from './spec-helpers.js';

describe('FakeStripe idempotency and fault injection', () => {
  let fake: FakeStripe;
  let stripe: Stripe;

  beforeAll(async () => {
    fake = await FakeStripe.start();
    stripe = stripeClient(fake);
  });

  afterAll(() => fake.stop());

  beforeEach(() => fake.reset());

  describe('idempotency', () => {
    it('replays the first answer for the same key and body', async () => {
      const first = await stripe.customers.create({ email: 'once@example.com' }, { idempotencyKey: 'signup-1' });
      const second = await stripe.customers.create({ email: 'once@example.com' }, { idempotencyKey: 'signup-1' });
      expect(second.id).toBe(first.id);
      expect(second.lastResponse.headers['idempotent-replayed']).toBe('true');
      expect(second.lastResponse.headers['original-request']).toBe(first.lastResponse.requestId);
      expect(second.lastResponse.requestId).not.toBe(first.lastResponse.requestId);
      expect(first.lastResponse.headers['idempotent-replayed']).toBeUndefined();
      expect(fake.customers.count).toBe(1);
      expect(fake.requests.map(({ method, path, idempotencyKey, status, replayed }) => ({ method, path, idempotencyKey, status, replayed }))).toEqual([
        { method: 'POST', path: '/v1/customers', idempotencyKey: 'signup-1', status: 200, replayed: false },
        { method: 'POST', path: '/v1/customers', idempotencyKey: 'signup-1', status: 200, replayed: true },
      ]);
    });

    it('rejects the same key with a different body (idempotency_error)', async () => {
      await stripe.customers.create({ email: 'a@example.com' }, { idempotencyKey: 'signup-2' });
      const error = await rejectionOf(stripe.customers.create({ email: 'b@example.com' }, { idempotencyKey: 'signup-2' }));
      expect(error).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
      expect(error).toMatchObject({ statusCode: 400, rawType: 'idempotency_error' });
      expect(error.message).toContain("Try using a key other than 'signup-2'");
      expect(fake.customers.count).toBe(1);
    });

    it('does not save validation failures, so a corrected retry can reuse the key', async () => {
      const invalid = await rejectionOf(stripe.subscriptions.create({ items: [] }, { idempotencyKey: 'sub-1' }));
      expect(invalid.code).toBe('parameter_missing');
      const customer = await stripe.customers.create({});
      const price = fake.seedPrice();
      const created = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] }, { idempotencyKey: 'sub-1' });
      expect(created.status).toBe('active');
    });

    it('records every request with its time', async () => {
      const before = Date.now();
      await stripe.customers.list({ limit: 3 });
      const [request] = fake.requests;
      expect(request).toMatchObject({ method: 'GET', path: '/v1/customers', params: { limit: '3' }, idempotencyKey: null, status: 200 });
      expect(request.requestId).toMatch(/^req_/);
      expect(request.time).toBeGreaterThanOrEqual(before);
      expect(request.time).toBeLessThanOrEqual(Date.now());
    });
  });

  describe('rate limiting', () => {
    it('answers 429 with Retry-After and the rate-limit reason', async () => {
      fake.rateLimitNext(1, { retryAfterSeconds: 3 });
      const error = await rejectionOf(stripe.customers.create({ email: 'x@example.com' }));
      expect(error).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
      expect(error).toMatchObject({ statusCode: 429, code: 'rate_limit', rawType: 'invalid_request_error' });
      expect(error.headers).toMatchObject({ 'retry-after': '3', 'stripe-rate-limited-reason': 'global-rate' });
      expect(error.requestId).toMatch(/^req_/);
      expect(fake.customers.count).toBe(0);
      await expect(stripe.customers.create({ email: 'x@example.com' })).resolves.toMatchObject({ object: 'customer' });
    });

    it('lets a retrying client through once the limit passes, with the same idempotency key', async () => {
      const retrying = stripeClient(fake, { maxNetworkRetries: 2 });
      fake.rateLimitNext(2);
      const customer = await retrying.customers.create({ email: 'patient@example.com' });
      expect(customer.email).toBe('patient@example.com');
      const attempts = fake.requests.filter((request) => request.path === '/v1/customers');
      expect(attempts.map((request) => request.status)).toEqual([429, 429, 200]);
      expect(new Set(attempts.map((request) => request.idempotencyKey)).size).toBe(1);
      expect(fake.customers.count).toBe(1);
    });

    it('only limits requests that match', async () => {
      fake.rateLimitNext(1, { match: { method: 'POST', path: '/v1/subscriptions' } });
      await expect(stripe.customers.list()).resolves.toMatchObject({ object: 'list' });
      const customer = await stripe.customers.create({});
      const price = fake.seedPrice();
      const error = await rejectionOf(stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] }));
      expect(error.statusCode).toBe(429);
    });
  });

  describe('server failures', () => {
    it('fails with 5xx api_error, and a retrying client recovers', async () => {
      fake.failNext(1, { status: 503 });
      const error = await rejectionOf(stripe.customers.list());
      expect(error).toBeInstanceOf(Stripe.errors.StripeAPIError);
      expect(error).toMatchObject({ statusCode: 503, rawType: 'api_error' });

      fake.failNext(1, { status: 500 });
      await expect(stripeClient(fake, { maxNetworkRetries: 1 }).customers.list()).resolves.toMatchObject({ object: 'list' });
      expect(fake.requests.slice(-2).map((request) => request.status)).toEqual([500, 200]);
    });

    it('hangs requests so client timeouts fire, then answers normally again', async () => {
      fake.hangNext(1);
      const impatient = stripeClient(fake, { timeout: 150 });
      const error = await rejectionOf(impatient.customers.list());
      expect(error).toBeInstanceOf(Stripe.errors.StripeConnectionError);
      expect(error.message).toContain('timeout');
      expect(fake.requests[0].status).toBeNull();
      await expect(impatient.customers.list()).resolves.toMatchObject({ object: 'list' });
    });

    it('adds latency to every answer', async () => {
      fake.setLatency(120);
      const started = Date.now();
      await stripe.customers.list();
      expect(Date.now() - started).toBeGreaterThanOrEqual(110);
      fake.setLatency(0);
    });

    it.each(['refuse', 'reset'] as const)('goes down (%s) and comes back on the same port', async (mode) => {
      await stripe.customers.list();
      const port = fake.port;
      await fake.pause({ mode });
      expect(fake.paused).toBe(true);
      const error = await rejectionOf(stripe.customers.list());
      expect(error).toBeInstanceOf(Stripe.errors.StripeConnectionError);
      await fake.resume();
      expect(fake.paused).toBe(false);
      expect(fake.port).toBe(port);
      await expect(stripe.customers.list()).resolves.toMatchObject({ object: 'list' });
    });
  });

  it('stop() closes hung sockets so the process can exit', async () => {
    const other = await FakeStripe.start();
    other.hangNext(1);
    const client = stripeClient(other);
    const pending = rejectionOf(client.customers.list());
    await new Promise((resolve) => setTimeout(resolve, 50));
    await other.stop();
    expect(await pending).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    await other.stop();
  });
});
