import { randomUUID } from 'node:crypto';
import { HttpStatus } from '@nestjs/common';
import { ThrottlerStorageService, type ThrottlerStorage } from '@nestjs/throttler';
import Redis from 'ioredis';
import type { ResolvedLitestripeOptions } from '../config/resolved-options.js';
import { LogCapture } from '../../../../test/support/log-capture';
import { MinimalRedisThrottlerStorage } from '../stripe/test-support/redis-throttler-storage.js';
import { BillingActionLimitException } from '../errors/billing-action-limit.exception.js';
import { BillingActionLimiter } from './billing-action.limiter.js';

const REDIS = { host: '127.0.0.1', port: 6379 };

function limiterWith(options: { billingActionLimit: ResolvedLitestripeOptions['billingActionLimit']; rateLimitStorage?: ThrottlerStorage; rateLimitCacheKey?: string }): BillingActionLimiter {
  return new BillingActionLimiter({ rateLimitCacheKey: 'billing_spec', ...options } as ResolvedLitestripeOptions & { rateLimitStorage?: ThrottlerStorage });
}

/** How many of `count` actions of `payer` pass, and the refusals of the others. */
async function attempt(limiter: BillingActionLimiter, payer: string, count: number): Promise<{ passed: number; refused: BillingActionLimitException[] }> {
  let passed = 0;
  const refused: BillingActionLimitException[] = [];
  for (let i = 0; i < count; i++) {
    await limiter.take(payer).then(
      () => passed++,
      (error: unknown) => {
        expect(error).toBeInstanceOf(BillingActionLimitException);
        refused.push(error as BillingActionLimitException);
      },
    );
  }
  return { passed, refused };
}

describe('BillingActionLimiter', () => {
  const limiters: BillingActionLimiter[] = [];
  afterEach(() => limiters.splice(0).forEach((limiter) => limiter.onApplicationShutdown()));
  const created = (limiter: BillingActionLimiter) => (limiters.push(limiter), limiter);

  it('lets each account take `limit` actions per window, then answers 429 naming the wait', async () => {
    const limiter = created(limiterWith({ billingActionLimit: { limit: 3, windowSeconds: 60 } }));

    const hammering = await attempt(limiter, 'acct_hammer', 5);
    const other = await attempt(limiter, 'acct_other', 3);

    expect(hammering.passed).toBe(3);
    expect(hammering.refused).toHaveLength(2);
    expect(other).toEqual({ passed: 3, refused: [] });
    const [refusal] = hammering.refused;
    expect(refusal.getStatus()).toBe(HttpStatus.TOO_MANY_REQUESTS);
    expect(refusal.retryAfterSeconds).toBeGreaterThan(0);
    expect(refusal.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(refusal.getResponse()).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: `Too many billing actions for this account; try again in ${refusal.retryAfterSeconds} s.`,
      reason: 'billing_action_limit',
      retryAfterSeconds: refusal.retryAfterSeconds,
    });
  });

  it('counts nothing when turned off', async () => {
    const limiter = created(limiterWith({ billingActionLimit: false }));
    expect(await attempt(limiter, 'acct_free', 50)).toEqual({ passed: 50, refused: [] });
  });

  it('falls back to a per-process count, with one warning, while the store fails', async () => {
    const logs = new LogCapture().install();
    try {
      const failing: ThrottlerStorage = { increment: () => Promise.reject(new Error('store unreachable')) };
      const limiter = created(limiterWith({ billingActionLimit: { limit: 2, windowSeconds: 60 }, rateLimitStorage: failing }));

      expect((await attempt(limiter, 'acct_a', 4)).passed).toBe(2);
      expect((await attempt(limiter, 'acct_b', 1)).passed).toBe(1);
      expect(logs.messages('warn').filter((message) => message.includes('billing actions are limited per process'))).toHaveLength(1);
    } finally {
      logs.uninstall();
    }
  });

  it('uses the store given as rateLimitStorage, and leaves it open', async () => {
    const storage = new ThrottlerStorageService();
    const limiter = limiterWith({ billingActionLimit: { limit: 1, windowSeconds: 60 }, rateLimitStorage: storage, rateLimitCacheKey: 'my_app' });
    await limiter.take('acct_1');
    limiter.onApplicationShutdown();
    expect([...storage.storage.keys()]).toEqual(['my_app:billing:acct_1']);
    storage.onApplicationShutdown();
  });

  describe('shared through Redis by two app instances', () => {
    let redis: Redis;
    const key = `litestripe_billing_spec_${randomUUID()}`;
    beforeAll(async () => {
      redis = new Redis({ ...REDIS, lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
    });
    afterAll(async () => {
      const used = await redis.keys(`*${key}*`);
      if (used.length > 0) await redis.del(...used);
      await redis.quit();
    });

    it('counts an account’s actions on either instance against one limit', async () => {
      const [first, second] = [1, 2].map(() => created(limiterWith({ billingActionLimit: { limit: 4, windowSeconds: 30 }, rateLimitStorage: new MinimalRedisThrottlerStorage(redis), rateLimitCacheKey: key })));

      const onFirst = await attempt(first, 'acct_shared', 3);
      const onSecond = await attempt(second, 'acct_shared', 3);

      expect([onFirst.passed, onSecond.passed]).toEqual([3, 1]);
      expect(onSecond.refused[0].retryAfterSeconds).toBeGreaterThan(0);
      expect(onSecond.refused[0].retryAfterSeconds).toBeLessThanOrEqual(30);
      expect((await attempt(second, 'acct_elsewhere', 1)).passed).toBe(1);
    });
  });
});
