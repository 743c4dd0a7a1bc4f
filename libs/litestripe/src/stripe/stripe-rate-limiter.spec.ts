import { ThrottlerStorageService, type ThrottlerStorage } from '@nestjs/throttler';
import Stripe from 'stripe';
import { createStripeClient, createStripeRateLimiter, type StripeClientFactoryOptions } from './stripe-client.factory.js';
import { StripeRateLimitExceededError } from '../errors/stripe-rate-limit-exceeded.error.js';
import { StripeRateLimiter } from './stripe-rate-limiter.js';
import { StripeRateLimiterClosedError } from '../errors/stripe-rate-limiter-closed.error.js';
import { LogCapture } from '../../../../test/support/log-capture';
import { watchEventLoopStalls } from '../../../../test/support/event-loop-stalls';
import { countAttempts, rejectionOf } from './test-support/refusals.js';
import { budgetUse, maxInAnyWindow, recordingHttpClient } from './test-support/request-timing.js';
import { StripeApiStub } from './test-support/stripe-api-stub.js';

const SECRET = 'sk_test_limiter_secret_0123456789';

describe('StripeRateLimiter with the in-memory store, in front of the real stripe client', () => {
  const stub = new StripeApiStub();
  const limiters: StripeRateLimiter[] = [];

  beforeAll(async () => {
    await stub.start();
    // Warm up (module loading, first connection) so that arrival times measure the limiter.
    await client({ maxRequestsPerMinute: 10 }).customers.retrieve('cus_warm_up');
    shutDownAndReset();
  });
  afterAll(() => stub.stop());
  afterEach(() => shutDownAndReset());

  function shutDownAndReset(): void {
    limiters.splice(0).forEach((limiter) => limiter.onApplicationShutdown());
    stub.reset();
  }

  function client(options: Partial<StripeClientFactoryOptions> & { maxRequestsPerMinute: number }): Stripe {
    const factoryOptions: StripeClientFactoryOptions = {
      secretKey: SECRET,
      rateLimitCacheKey: 'litestripe_test',
      stripe: { ...stub.clientConfig() },
      // One lane with the whole budget: the lanes and their reserve are tested in stripe-rate-limiter.lanes.spec.ts.
      rateLimitReserveForRefreshes: 0,
      ...options,
    };
    const limiter = createStripeRateLimiter(factoryOptions);
    limiters.push(limiter);
    return createStripeClient(factoryOptions, limiter);
  }

  it('never lets more than the limit through in any window, and uses at least 90% of the budget', async () => {
    const limit = 5;
    // Two seconds, so that timers firing late on a loaded machine cost a small share of each window.
    const windowMs = 2000;
    const sentAt: number[] = [];
    const stripe = client({ maxRequestsPerMinute: limit, rateLimitWindowMs: windowMs, stripe: { ...stub.clientConfig(), httpClient: recordingHttpClient(sentAt) } });

    const stalls = watchEventLoopStalls();
    const customers = await Promise.all(Array.from({ length: 3 * limit }, (_, i) => stripe.customers.retrieve(`cus_${i}`)));
    const stallMs = stalls();

    expect(customers.map((customer) => customer.id)).toEqual(Array.from({ length: 3 * limit }, (_, i) => `cus_${i}`));
    expect(stub.requests).toHaveLength(3 * limit);
    // When each request was sent, not when it reached the stub: a loaded machine delays the latter.
    const arrivals = sentAt;
    expect(arrivals).toHaveLength(3 * limit);
    expect(maxInAnyWindow(arrivals, windowMs)).toBeLessThanOrEqual(limit);
    expect(budgetUse(arrivals, limit, windowMs, stallMs)).toBeGreaterThanOrEqual(0.9);
  });

  it('serves the calls that wait in their order of arrival', async () => {
    const limit = 3;
    const windowMs = 1000;
    const stripe = client({ maxRequestsPerMinute: limit, rateLimitWindowMs: windowMs });

    await Promise.all(Array.from({ length: 3 * limit }, (_, i) => stripe.customers.retrieve(`cus_${i}`)));

    expect(maxInAnyWindow(stub.requests.map((request) => request.at), windowMs)).toBeLessThanOrEqual(limit);
    // Calls were made in the order 0..8; the k-th group of `limit` calls must all arrive
    // after every call of the groups before it.
    const arrivalOf = new Map(stub.requests.map((request) => [request.path.split('/').pop(), request.at]));
    for (let i = 0; i < 3 * limit; i++) {
      for (let j = 0; j < 3 * limit; j++) {
        if (Math.floor(i / limit) < Math.floor(j / limit)) {
          expect(arrivalOf.get(`cus_${i}`)!).toBeLessThan(arrivalOf.get(`cus_${j}`)!);
        }
      }
    }
  });

  it('hands out slots strictly first come, first served', async () => {
    const limiter = new StripeRateLimiter({
      storage: new ThrottlerStorageService(),
      ownsStorage: true,
      key: 'fifo',
      limit: 2,
      windowMs: 300,
      maxWaitMs: 5000,
    });
    limiters.push(limiter);
    const served: number[] = [];
    const startedAt = Date.now();

    await Promise.all(Array.from({ length: 8 }, (_, i) => limiter.acquire().then(() => served.push(i))));

    expect(served).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(3 * 300); // 4 windows of 2 slots
  });

  it('fails a call past maxRateLimitWaitMs with StripeRateLimitError (detail: StripeRateLimitExceededError), without sending it', async () => {
    const stripe = client({ maxRequestsPerMinute: 1, rateLimitWindowMs: 10_000, maxRateLimitWaitMs: 300 });
    const attempts = countAttempts(stripe);
    await stripe.customers.retrieve('cus_first');

    const stalls = watchEventLoopStalls();
    const startedAt = Date.now();
    const error = await rejectionOf(stripe.customers.retrieve('cus_second'));
    const waitedMs = Date.now() - startedAt;
    const stallMs = stalls();

    expect(error).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(error).toMatchObject({ statusCode: 429, code: 'litestripe_rate_limit_exceeded' });
    expect((error as Stripe.errors.StripeRateLimitError).detail).toBeInstanceOf(StripeRateLimitExceededError);
    expect((error as Error).message).toContain('within 300 ms');
    expect((error as Error).message).toContain('1 requests per 10000 ms');
    expect((error as Error).message).not.toContain(SECRET);
    // Not retried by stripe-node (maxNetworkRetries is 2): one attempt per call.
    expect(attempts.requests).toBe(2);
    expect(waitedMs).toBeGreaterThanOrEqual(295);
    expect(waitedMs).toBeLessThan(800 + stallMs);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stub.requests.map((request) => request.path)).toEqual(['/v1/customers/cus_first']);
  });

  it('still limits calls, per process, while the store fails', async () => {
    const logs = new LogCapture().install();
    try {
      const failingStore: ThrottlerStorage = {
        increment: () => Promise.reject(new Error('store unreachable')),
      };
      const limit = 2;
      const windowMs = 500;
      const stripe = client({ maxRequestsPerMinute: limit, rateLimitWindowMs: windowMs, rateLimitStorage: failingStore });

      await Promise.all(Array.from({ length: 6 }, (_, i) => stripe.customers.retrieve(`cus_${i}`)));

      const arrivals = stub.requests.map((request) => request.at);
      expect(arrivals).toHaveLength(6);
      expect(maxInAnyWindow(arrivals, windowMs)).toBeLessThanOrEqual(limit);
      const warnings = logs.messages('warn').filter((message) => message.includes('rate-limit store failed'));
      expect(warnings.length).toBeGreaterThanOrEqual(1);
      expect(warnings.length).toBeLessThanOrEqual(3); // at most once per window
    } finally {
      logs.uninstall();
    }
  });

  it('refuses waiting and new calls once the application shuts down', async () => {
    const stripe = client({ maxRequestsPerMinute: 1, rateLimitWindowMs: 10_000 });
    await stripe.customers.retrieve('cus_first');
    const waiting = stripe.customers.retrieve('cus_waiting').catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));

    limiters[0].onApplicationShutdown();

    for (const refused of [await waiting, await rejectionOf(stripe.customers.retrieve('cus_late'))]) {
      expect(refused).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
      expect(refused).toMatchObject({ statusCode: 429, code: 'litestripe_rate_limiter_closed' });
      expect((refused as Stripe.errors.StripeRateLimitError).detail).toBeInstanceOf(StripeRateLimiterClosedError);
    }
    expect(stub.requests).toHaveLength(1);
  });

  it('gives up on a call at its deadline and serves the next one in line', async () => {
    // Margins of about half a second on each side, so that timers a loaded machine fires late keep their order.
    const limiter = new StripeRateLimiter({
      storage: new ThrottlerStorageService(),
      ownsStorage: true,
      key: 'deadline',
      limit: 1,
      windowMs: 2000,
      maxWaitMs: 1500,
    });
    limiters.push(limiter);
    await limiter.acquire(); // the window's only slot; the next frees about 2060 ms from now
    const outcome = (waiting: Promise<void>) => waiting.then(
      () => 'served',
      (error: unknown) => error,
    );
    const first = outcome(limiter.acquire()); // deadline at 1500 ms
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const second = outcome(limiter.acquire()); // deadline at 2500 ms

    expect(await first).toBeInstanceOf(StripeRateLimitExceededError);
    expect(await second).toBe('served');
  });
});
