import { Injectable } from '@nestjs/common';
import { ThrottlerStorageService, type ThrottlerStorage } from '@nestjs/throttler';
import { Test, type TestingModule } from '@nestjs/testing';
import Stripe from 'stripe';
import { LitestripeConfigError } from '../errors/litestripe-config.error.js';
import { LITESTRIPE_OPTIONS } from '../config/resolved-options.js';
import { LITESTRIPE_STRIPE_API_VERSION, STRIPE_RATE_LIMIT_THROTTLER_NAME } from './stripe-client.constants.js';
import { getStripeClientToken, InjectStripeClient } from './stripe-client.decorator.js';
import type { StripeClientFactoryOptions } from './stripe-client.factory.js';
import { createStripeClientProviders } from './stripe-client.providers.js';
import { StripeRateLimiter } from './stripe-rate-limiter.js';
import { StripeRateLimiterClosedError } from '../errors/stripe-rate-limiter-closed.error.js';
import { StripeApiStub } from './test-support/stripe-api-stub.js';

const SECRET = 'sk_test_providers_secret_0123456789';

@Injectable()
class Billing {
  constructor(@InjectStripeClient() readonly stripe: Stripe) {}
}

/** A store that counts every call in one never-ending window and remembers what it was asked. */
class RecordingStorage implements ThrottlerStorage {
  readonly calls: { key: string; throttlerName: string }[] = [];
  shutDown = false;

  async increment(key: string, _ttl: number, _limit: number, _blockDuration: number, throttlerName: string) {
    this.calls.push({ key, throttlerName });
    return { totalHits: this.calls.length, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 };
  }

  onApplicationShutdown(): void {
    this.shutDown = true;
  }
}

describe('createStripeClientProviders', () => {
  const stub = new StripeApiStub();
  const modules: TestingModule[] = [];

  beforeAll(() => stub.start());
  afterAll(() => stub.stop());
  afterEach(async () => {
    await Promise.all(modules.splice(0).map((moduleRef) => moduleRef.close()));
    stub.reset();
  });

  async function close(moduleRef: TestingModule): Promise<void> {
    modules.splice(modules.indexOf(moduleRef), 1);
    await moduleRef.close();
  }

  async function compile(
    options: Partial<StripeClientFactoryOptions> = {},
    override?: (builder: ReturnType<typeof Test.createTestingModule>) => ReturnType<typeof Test.createTestingModule>,
  ): Promise<TestingModule> {
    const resolved: StripeClientFactoryOptions = {
      secretKey: SECRET,
      maxRequestsPerMinute: 75,
      rateLimitCacheKey: 'litestripe_stripe_api_rate_limit',
      ...options,
      stripe: { ...stub.clientConfig(), ...options.stripe },
    };
    const builder = Test.createTestingModule({
      providers: [{ provide: LITESTRIPE_OPTIONS, useValue: resolved }, ...createStripeClientProviders(), Billing],
    });
    const moduleRef = await (override ? override(builder) : builder).compile();
    modules.push(moduleRef);
    return moduleRef;
  }

  it('injects one Stripe client, built from the options, with the API version pinned', async () => {
    const moduleRef = await compile();
    const { stripe } = moduleRef.get(Billing);

    const customer = await stripe.customers.retrieve('cus_1');

    expect(moduleRef.get(getStripeClientToken())).toBe(stripe);
    expect(customer.id).toBe('cus_1');
    expect(stub.requests[0].stripeVersion).toBe('2026-10-28.endive');
    expect(LITESTRIPE_STRIPE_API_VERSION).toBe('2026-10-28.endive');
    expect(stub.requests[0].authorization).toBe(`Bearer ${SECRET}`);
    expect(stripe.getMaxNetworkRetries()).toBe(2);
  });

  it('lets stripe options override the API version and the network retries', async () => {
    const moduleRef = await compile({
      stripe: { apiVersion: '2025-01-27.acacia' as Stripe.LatestApiVersion, maxNetworkRetries: 0 },
    });
    const { stripe } = moduleRef.get(Billing);

    await stripe.customers.retrieve('cus_1');

    expect(stub.requests[0].stripeVersion).toBe('2025-01-27.acacia');
    expect(stripe.getMaxNetworkRetries()).toBe(0);
  });

  it('can be replaced by token in tests', async () => {
    const fake = { customers: { retrieve: async (id: string) => ({ id, object: 'customer' }) } };
    const moduleRef = await compile({}, (builder) => builder.overrideProvider(getStripeClientToken()).useValue(fake));

    expect(moduleRef.get(Billing).stripe).toBe(fake);
    expect(await moduleRef.get(Billing).stripe.customers.retrieve('cus_fake')).toEqual({ id: 'cus_fake', object: 'customer' });
    expect(stub.requests).toHaveLength(0);
  });

  it('counts in the given store under rateLimitCacheKey, and leaves that store open on shutdown', async () => {
    const storage = new RecordingStorage();
    const moduleRef = await compile({ rateLimitStorage: storage, rateLimitCacheKey: 'my_app_stripe' });

    await moduleRef.get(Billing).stripe.customers.retrieve('cus_1');
    await close(moduleRef);

    // A call of the default lane is counted under the lane's own key first, then under the shared one.
    expect(storage.calls).toEqual([
      { key: 'my_app_stripe:default', throttlerName: STRIPE_RATE_LIMIT_THROTTLER_NAME },
      { key: 'my_app_stripe', throttlerName: STRIPE_RATE_LIMIT_THROTTLER_NAME },
    ]);
    expect(storage.shutDown).toBe(false);
  });

  it('clears its own in-memory store and refuses calls once the application shuts down', async () => {
    const moduleRef = await compile();
    const { stripe } = moduleRef.get(Billing);
    await stripe.customers.retrieve('cus_1');
    const limiter = moduleRef.get(StripeRateLimiter);
    const ownStorage = (limiter as unknown as { options: { storage: ThrottlerStorageService } }).options.storage;
    expect(ownStorage).toBeInstanceOf(ThrottlerStorageService);
    expect(ownStorage.storage.size).toBe(2); // the shared count and the default lane's

    await close(moduleRef);

    expect(ownStorage.storage.size).toBe(0);
    const refused = await stripe.customers.retrieve('cus_2').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect((refused as Stripe.errors.StripeRateLimitError).detail).toBeInstanceOf(StripeRateLimiterClosedError);
    expect(stub.requests).toHaveLength(1);
  });

  it.each([
    [{ rateLimitWindowMs: 0 }, 'rateLimitWindowMs'],
    [{ maxRateLimitWaitMs: -1 }, 'maxRateLimitWaitMs'],
    [{ maxRateLimitRetries: 1.5 }, 'maxRateLimitRetries'],
    [{ maxRequestsPerMinute: 0 }, 'maxRequestsPerMinute'],
    [{ maxRateLimitQueue: 0 }, 'maxRateLimitQueue'],
    [{ maxRateLimitQueue: 2.5 }, 'maxRateLimitQueue'],
    [{ rateLimitReserveForRefreshes: 1 }, 'rateLimitReserveForRefreshes'],
    [{ rateLimitReserveForRefreshes: -0.1 }, 'rateLimitReserveForRefreshes'],
    [{ rateLimitReserveForRefreshes: '0.2' as unknown as number }, 'rateLimitReserveForRefreshes'],
    [{ rateLimitReserveForRefreshes: Number.NaN }, 'rateLimitReserveForRefreshes'],
  ])('stops the start-up on a malformed option (%o)', async (options, name) => {
    const error = await compile(options).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(LitestripeConfigError);
    expect((error as LitestripeConfigError).option).toBe(name);
    expect((error as Error).message).not.toContain(SECRET);
  });
});
