import { Agent } from 'node:http';
import Stripe from 'stripe';
import { createStripeClient, createStripeRateLimiter, type StripeClientFactoryOptions } from './stripe-client.factory.js';
import { StripeRateLimiter } from './stripe-rate-limiter.js';
import { LogCapture } from './test-support/log-capture.js';
import { serverError, StripeApiStub, tooManyRequests } from './test-support/stripe-api-stub.js';

const SECRET = 'sk_test_http_client_secret_0123456789';

describe('RateLimitedHttpClient: 429, retries and idempotency with the real stripe client', () => {
  const stub = new StripeApiStub();
  const limiters: StripeRateLimiter[] = [];
  const agents: Agent[] = [];
  let logs: LogCapture;

  beforeAll(async () => {
    await stub.start();
    await client().customers.retrieve('cus_warm_up');
  });
  afterAll(() => stub.stop());
  beforeEach(() => {
    stub.reset();
    logs = new LogCapture().install();
  });
  afterEach(() => {
    logs.uninstall();
    limiters.splice(0).forEach((limiter) => limiter.onApplicationShutdown());
    agents.splice(0).forEach((agent) => agent.destroy());
    // Nothing logged may carry the key.
    expect(logs.lines.filter((line) => line.message.includes(SECRET))).toEqual([]);
  });

  function client(options: Partial<StripeClientFactoryOptions> = {}): Stripe {
    const factoryOptions: StripeClientFactoryOptions = {
      secretKey: SECRET,
      maxRequestsPerMinute: 100,
      rateLimitCacheKey: 'litestripe_test',
      ...options,
      stripe: { ...stub.clientConfig(), ...options.stripe },
    };
    const limiter = createStripeRateLimiter(factoryOptions);
    limiters.push(limiter);
    return createStripeClient(factoryOptions, limiter);
  }

  const gapsBetweenAttempts = () => stub.requests.slice(1).map((request, i) => request.at - stub.requests[i].at);

  it('retries a 429 after its Retry-After and logs Stripe\'s rate-limit reason', async () => {
    stub.enqueue(tooManyRequests({ 'Retry-After': '2', 'Stripe-Rate-Limited-Reason': 'global-rate' }));

    const customer = await client().customers.retrieve('cus_1', { expand: ['default_source'] });

    expect(customer.id).toBe('cus_1');
    expect(stub.requests).toHaveLength(2);
    const [gap] = gapsBetweenAttempts();
    expect(gap).toBeGreaterThanOrEqual(1990);
    expect(gap).toBeLessThan(2500);
    const [warning] = logs.messages('warn');
    expect(warning).toContain('global-rate');
    expect(warning).toContain('GET /v1/customers/cus_1');
    expect(warning).not.toContain('expand'); // no query string (it may carry personal data)
    expect(warning).toContain('retry 1 of 3 in 2000 ms (Retry-After)');
  });

  it('counts a Retry-After date from the answer\'s own Date header, whatever the local clocks say', async () => {
    // A year before the wall clock and the module clock: only Stripe's Date header puts the wait at 1 s.
    const clock = { now: () => new Date('2031-06-01T00:00:00Z') };
    stub.enqueue(tooManyRequests({ Date: 'Tue, 01 Jan 2030 00:00:00 GMT', 'Retry-After': 'Tue, 01 Jan 2030 00:00:01 GMT' }));

    await client({ clock }).customers.retrieve('cus_dated');

    expect(gapsBetweenAttempts()[0]).toBeGreaterThanOrEqual(990);
    expect(logs.messages('warn')[0]).toContain('retry 1 of 3 in 1000 ms (Retry-After)');
  });

  it('counts a Retry-After date from the module clock when the answer has no Date header', async () => {
    const clock = { now: () => new Date('2030-01-01T00:00:00.500Z') };
    stub.enqueue({ ...tooManyRequests({ 'Retry-After': 'Tue, 01 Jan 2030 00:00:01 GMT' }), withoutDate: true });

    await client({ clock }).customers.retrieve('cus_undated');

    expect(logs.messages('warn')[0]).toContain('retry 1 of 3 in 500 ms (Retry-After)');
  });

  it('backs off exponentially, with jitter, when a 429 has no Retry-After', async () => {
    stub.enqueue(tooManyRequests(), tooManyRequests());

    await client().customers.retrieve('cus_1');

    expect(stub.requests).toHaveLength(3);
    const [first, second] = gapsBetweenAttempts();
    expect(first).toBeGreaterThanOrEqual(495); // 1 s, halved at most
    expect(first).toBeLessThan(1300);
    expect(second).toBeGreaterThanOrEqual(995); // 2 s, halved at most
    expect(second).toBeLessThan(2300);
    expect(logs.messages('warn')[0]).toContain('rate-limited reason: not given');
    expect(logs.messages('warn')[0]).toContain('(backoff)');
  });

  it('keeps the Idempotency-Key of a POST across 429 retries and stripe-node\'s own 5xx retries', async () => {
    stub.enqueue(tooManyRequests({ 'Retry-After': '0' }), serverError(), tooManyRequests({ 'Retry-After': '0' }));
    const stripe = client();

    const created = await stripe.customers.create({ email: 'someone@example.com' });
    const other = await stripe.customers.create({ email: 'other@example.com' });

    expect(created.object).toBe('customer');
    expect(stub.requests.map((request) => request.method)).toEqual(['POST', 'POST', 'POST', 'POST', 'POST']);
    const keys = stub.requests.map((request) => request.idempotencyKey);
    expect(keys[0]).toMatch(/^stripe-node-retry-[0-9a-f-]{36}$/);
    expect(keys.slice(0, 4)).toEqual([keys[0], keys[0], keys[0], keys[0]]);
    expect(keys[4]).toBeDefined();
    expect(keys[4]).not.toBe(keys[0]); // a new request gets a new key
    expect(other.id).not.toBe(created.id);
  });

  it('makes every attempt, stripe-node\'s own retries included, take a slot of the limiter', async () => {
    const windowMs = 1000;
    stub.enqueue(serverError(), tooManyRequests({ 'Retry-After': '0' }));

    await client({ maxRequestsPerMinute: 1, rateLimitWindowMs: windowMs }).customers.retrieve('cus_1');

    expect(stub.requests).toHaveLength(3);
    // stripe-node alone retries a 500 after 0.5-1 s, and we retry this 429 at once; the limiter
    // allows one request per window.
    for (const gap of gapsBetweenAttempts()) {
      expect(gap).toBeGreaterThanOrEqual(windowMs);
    }
  });

  it('gives up after maxRateLimitRetries with stripe\'s StripeRateLimitError', async () => {
    stub.enqueue(...Array.from({ length: 5 }, () => tooManyRequests({ 'Retry-After': '0', 'Stripe-Rate-Limited-Reason': 'endpoint-rate' })));

    const error = await client({ maxRateLimitRetries: 2 }).customers.retrieve('cus_1').catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(stub.requests).toHaveLength(3); // first try + 2 retries; stripe-node does not retry a 429
    expect(logs.messages('warn').at(-1)).toContain('giving up after 2 retries');
    expect((error as Error).message).not.toContain(SECRET);
  });

  it('does not retry a 429 when Stripe says Stripe-Should-Retry: false', async () => {
    stub.enqueue(tooManyRequests({ 'Retry-After': '0', 'Stripe-Should-Retry': 'false' }));

    await expect(client().customers.retrieve('cus_1')).rejects.toBeInstanceOf(Stripe.errors.StripeRateLimitError);

    expect(stub.requests).toHaveLength(1);
  });

  it('does not wait for a Retry-After beyond maxRateLimitWaitMs', async () => {
    stub.enqueue(tooManyRequests({ 'Retry-After': '120' }));
    const startedAt = Date.now();

    await expect(client({ maxRateLimitWaitMs: 5000 }).customers.retrieve('cus_1')).rejects.toBeInstanceOf(
      Stripe.errors.StripeRateLimitError,
    );

    expect(Date.now() - startedAt).toBeLessThan(1000);
    expect(stub.requests).toHaveLength(1);
    expect(logs.messages('warn')[0]).toContain('beyond maxRateLimitWaitMs');
  });

  it('drains discarded responses, so a retry reuses the keep-alive connection', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    agents.push(agent);
    stub.enqueue(tooManyRequests({ 'Retry-After': '0' }), serverError());

    await client({ stripe: { httpAgent: agent } }).customers.retrieve('cus_1');

    expect(stub.requests).toHaveLength(3);
    expect(new Set(stub.requests.map((request) => request.connection)).size).toBe(1);
  });
});
