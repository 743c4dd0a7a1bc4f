import { Agent } from 'node:http';
import Stripe from 'stripe';
import { createStripeClient, createStripeRateLimiter, type StripeClientFactoryOptions } from './stripe-client.factory.js';
import { StripeRateLimitExceededError } from '../errors/stripe-rate-limit-exceeded.error.js';
import { StripeRateLimitQueueFullError } from '../errors/stripe-rate-limit-queue-full.error.js';
import { StripeRateLimiterClosedError } from '../errors/stripe-rate-limiter-closed.error.js';
import { StripeRateLimiter } from './stripe-rate-limiter.js';
import { LogCapture } from '../../../../test/support/log-capture';
import { watchEventLoopStalls } from '../../../../test/support/event-loop-stalls';
import { countAttempts, rejectionOf } from './test-support/refusals.js';
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
    const stalls = watchEventLoopStalls();

    const customer = await client().customers.retrieve('cus_1', { expand: ['default_source'] });
    const stallMs = stalls();

    expect(customer.id).toBe('cus_1');
    expect(stub.requests).toHaveLength(2);
    const [gap] = gapsBetweenAttempts();
    expect(gap).toBeGreaterThanOrEqual(1990);
    expect(gap).toBeLessThan(2500 + stallMs);
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
    const stalls = watchEventLoopStalls();

    await client().customers.retrieve('cus_1');
    const stallMs = stalls();

    expect(stub.requests).toHaveLength(3);
    const [first, second] = gapsBetweenAttempts();
    expect(first).toBeGreaterThanOrEqual(495); // 1 s, halved at most
    expect(first).toBeLessThan(1300 + stallMs);
    expect(second).toBeGreaterThanOrEqual(995); // 2 s, halved at most
    expect(second).toBeLessThan(2300 + stallMs);
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
    // Stripe's own answer, as before: its code and request id, no litestripe detail.
    expect(error).toMatchObject({ statusCode: 429, code: 'rate_limit', rawType: 'invalid_request_error', requestId: 'req_stub_3' });
    expect((error as Stripe.errors.StripeRateLimitError).detail).toBeUndefined();
    expect(stub.requests).toHaveLength(3); // first try + 2 retries; stripe-node does not retry a 429
    expect(logs.messages('warn').at(-1)).toContain('giving up after 2 retries');
    expect((error as Error).message).not.toContain(SECRET);
  });

  it('does not retry a 429 when Stripe says Stripe-Should-Retry: false', async () => {
    stub.enqueue(tooManyRequests({ 'Retry-After': '0', 'Stripe-Should-Retry': 'false' }));

    const stripe = client();
    const attempts = countAttempts(stripe);

    const error = await rejectionOf(stripe.customers.retrieve('cus_1'));

    expect(error).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(error).toMatchObject({ code: 'rate_limit', requestId: 'req_stub_1' });
    expect((error as Stripe.errors.StripeRateLimitError).detail).toBeUndefined();
    expect(stub.requests).toHaveLength(1);
    expect(attempts.requests).toBe(1);
  });

  it('does not wait for a Retry-After beyond maxRateLimitWaitMs', async () => {
    stub.enqueue(tooManyRequests({ 'Retry-After': '120' }));
    const stalls = watchEventLoopStalls();
    const startedAt = Date.now();

    await expect(client({ maxRateLimitWaitMs: 5000 }).customers.retrieve('cus_1')).rejects.toBeInstanceOf(
      Stripe.errors.StripeRateLimitError,
    );

    expect(Date.now() - startedAt).toBeLessThan(1000 + stalls());
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

  describe('a call the rate limiter refuses', () => {
    /** One request per minute, one lane: the second call has to wait for a slot. */
    const oneAMinute = { maxRequestsPerMinute: 1, rateLimitWindowMs: 60_000, rateLimitReserveForRefreshes: 0 } as const;
    const lastLimiter = () => limiters[limiters.length - 1];

    /** The refusal's checks common to every cause: stripe's 429 error, litestripe's error as its `detail`. */
    function expectRefusal(error: unknown, code: string, detailClass: new (...args: never[]) => Error): Error {
      expect(error).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
      const stripeError = error as Stripe.errors.StripeRateLimitError;
      expect(stripeError).toMatchObject({ type: 'StripeRateLimitError', statusCode: 429, code, rawType: 'rate_limit_error' });
      expect(stripeError.requestId).toBeUndefined(); // nothing reached Stripe
      expect(stripeError.detail).toBeInstanceOf(detailClass);
      const detail = stripeError.detail as Error & { code: string };
      expect(detail.code).toBe(code);
      expect(stripeError.message).toBe(detail.message);
      expect(stripeError.message).not.toContain(SECRET);
      return detail;
    }

    it('rejects with StripeRateLimitError whose detail is StripeRateLimitExceededError past maxRateLimitWaitMs, not retried', async () => {
      const stripe = client({ ...oneAMinute, maxRateLimitWaitMs: 300 });
      const attempts = countAttempts(stripe);
      await stripe.customers.retrieve('cus_first');

      const stalls = watchEventLoopStalls();
      const startedAt = Date.now();
      const error = await rejectionOf(stripe.customers.create({ email: 'late@example.com' }));
      const waitedMs = Date.now() - startedAt;
      const stallMs = stalls();

      const detail = expectRefusal(error, 'litestripe_rate_limit_exceeded', StripeRateLimitExceededError);
      expect(detail).not.toBeInstanceOf(StripeRateLimitQueueFullError);
      expect(detail).toMatchObject({ waitedMs: 300, limit: 1, windowMs: 60_000 });
      expect(detail.message).toContain('within 300 ms');
      // One attempt per call: stripe-node (maxNetworkRetries 2) did not retry the refusal, nor did
      // litestripe's 429 retries (they log every 429 they see).
      expect(attempts.requests).toBe(2);
      expect(waitedMs).toBeLessThan(800 + stallMs);
      expect(logs.messages('warn')).toEqual([]);
      expect(stub.requests.map((request) => request.path)).toEqual(['/v1/customers/cus_first']);
      // stripe-node reports the refusal to `response` listeners as a 429 without a request id.
      expect(attempts.responses.map((event) => [event.status, event.request_id])).toEqual([
        [200, 'req_stub_1'],
        [429, undefined],
      ]);
    });

    it('rejects at once with StripeRateLimitError whose detail is StripeRateLimitQueueFullError when the queue is full', async () => {
      const stripe = client({ ...oneAMinute, maxRateLimitQueue: 1 });
      const attempts = countAttempts(stripe);
      await stripe.customers.retrieve('cus_first');
      const waiting = rejectionOf(stripe.customers.retrieve('cus_waiting'));
      while (lastLimiter().waiting().default < 1) await new Promise((resolve) => setTimeout(resolve, 5));

      const stalls = watchEventLoopStalls();
      const startedAt = Date.now();
      const error = await rejectionOf(stripe.customers.retrieve('cus_refused'));

      expect(Date.now() - startedAt).toBeLessThan(500 + stalls());
      const detail = expectRefusal(error, 'litestripe_rate_limit_queue_full', StripeRateLimitQueueFullError);
      expect(detail).toBeInstanceOf(StripeRateLimitExceededError);
      expect(detail).toMatchObject({ maxQueue: 1 });
      expect(attempts.requests).toBe(3);

      // The call still waiting is refused at shutdown.
      lastLimiter().onApplicationShutdown();
      expectRefusal(await waiting, 'litestripe_rate_limiter_closed', StripeRateLimiterClosedError);
      expect(attempts.requests).toBe(3);
      expect(stub.requests.map((request) => request.path)).toEqual(['/v1/customers/cus_first']);
    });

    it('rejects with StripeRateLimitError whose detail is StripeRateLimiterClosedError after shutdown, v1 and v2 API alike', async () => {
      const stripe = client();
      const attempts = countAttempts(stripe);
      lastLimiter().onApplicationShutdown();

      expectRefusal(await rejectionOf(stripe.customers.create({ email: 'late@example.com' })), 'litestripe_rate_limiter_closed', StripeRateLimiterClosedError);
      // stripe-node reads errors of /v2 paths by their type first: `rate_limit_error` still makes a StripeRateLimitError.
      expectRefusal(await rejectionOf(stripe.rawRequest('GET', '/v2/core/events')), 'litestripe_rate_limiter_closed', StripeRateLimiterClosedError);
      expect(attempts.requests).toBe(2);
      expect(stub.requests).toEqual([]);
    });

    it('ends litestripe\'s 429 retries when the retry gets no slot, with the refusal', async () => {
      stub.enqueue(tooManyRequests({ 'Retry-After': '0' }));
      const stripe = client({ ...oneAMinute, maxRateLimitWaitMs: 300 });
      const attempts = countAttempts(stripe);

      const error = await rejectionOf(stripe.customers.retrieve('cus_1'));

      expectRefusal(error, 'litestripe_rate_limit_exceeded', StripeRateLimitExceededError);
      expect(stub.requests).toHaveLength(1);
      expect(attempts.requests).toBe(1); // litestripe's 429 retries happen inside one attempt of stripe-node
      expect(logs.messages('warn')).toHaveLength(1); // the real 429 only
      expect(logs.messages('warn')[0]).toContain('retry 1 of 3');
    });

    it('ends stripe-node\'s own retries when a retry gets no slot, with the refusal', async () => {
      stub.enqueue(serverError());
      const stripe = client({ ...oneAMinute, maxRateLimitWaitMs: 300 });
      const attempts = countAttempts(stripe);

      const error = await rejectionOf(stripe.customers.create({ email: 'someone@example.com' }));

      expectRefusal(error, 'litestripe_rate_limit_exceeded', StripeRateLimitExceededError);
      expect(stub.requests).toHaveLength(1);
      // The 500 was retried by stripe-node; the refused retry was not, though maxNetworkRetries is 2.
      expect(attempts.requests).toBe(2);
    });
  });
});
