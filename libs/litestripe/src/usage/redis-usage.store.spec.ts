import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import type { UsageRedisClient } from '../config/usage-options.interface.js';
import { RedisUsageStore } from './redis-usage.store.js';
import { USAGE_KEY_RETENTION_DAYS } from './usage-retention.js';
import type { UsageCounterKey } from './usage-store.js';
import { counter, PERIOD, storeContract, type StoreHarness } from './test-support/usage-store.contract.js';

/**
 * RedisUsageStore against the real Redis on 127.0.0.1:6379, which other tests share: each test
 * counts under a key prefix of its own and deletes its keys afterwards. The table of cases is the
 * one postgres-usage.store.spec.ts runs against the PostgreSQL store: both stores must count alike.
 */

const START_REDIS = 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no';
const DAY_SECONDS = 86_400;

describe('RedisUsageStore', () => {
  let redis: Redis;
  const prefixes: string[] = [];

  /** A prefix no other test (or run) uses, remembered for the clean-up. */
  const freshPrefix = () => {
    const prefix = `litestripe:test:usage:${randomUUID()}`;
    prefixes.push(prefix);
    return prefix;
  };

  beforeAll(async () => {
    redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect().catch((error: unknown) => {
      throw new Error(`Redis is not reachable at 127.0.0.1:6379 (${String(error)}); start it with: ${START_REDIS}`);
    });
  });

  afterEach(async () => {
    for (const prefix of prefixes.splice(0)) {
      const keys = await keysUnder(prefix);
      if (keys.length > 0) await redis.del(...keys);
    }
  });

  afterAll(() => redis?.quit());

  async function keysUnder(prefix: string): Promise<string[]> {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      found.push(...keys);
      cursor = next;
    } while (cursor !== '0');
    return found.sort();
  }

  /** The counter's key, as the store names it (hash tag on subject and metric, then the period start). */
  const counterKey = (prefix: string, key: UsageCounterKey) => `${prefix}:{${key.subject}|${key.metric}}:${key.period.start.getTime()}`;
  const idempotencyKey = (prefix: string, key: UsageCounterKey, id: string) => `${prefix}:{${key.subject}|${key.metric}}:key:${id}`;

  function harness(): StoreHarness & { prefix: string } {
    const prefix = freshPrefix();
    return {
      prefix,
      store: new RedisUsageStore(redis, prefix),
      stored: async (key) => {
        const value = await redis.get(counterKey(prefix, key));
        return value === null ? null : Number(value);
      },
    };
  }

  describe('the table of cases both stores pass', () => {
    storeContract(harness);
  });

  /** A store on a pinned module clock: lifetimes are sent relative to it, whatever Redis's own clock says. */
  const pinned = (prefix: string, now: Date) => new RedisUsageStore(redis, prefix, { now: () => now });
  const ttlOf = async (key: string) => redis.ttl(key);

  it('keeps a counter until a day after its period ends, by the module clock, and a release keeps that lifetime', async () => {
    const { prefix } = harness();
    const now = new Date(PERIOD.start.getTime() + 60_000);
    const store = pinned(prefix, now);
    const key = counter();
    const lifetime = Math.ceil((PERIOD.end.getTime() - now.getTime()) / 1000) + DAY_SECONDS;
    await store.consume(key, 1, 10);
    expect(await ttlOf(counterKey(prefix, key))).toBeGreaterThanOrEqual(lifetime - 1);
    expect(await ttlOf(counterKey(prefix, key))).toBeLessThanOrEqual(lifetime);
    await store.release(key, 5); // below zero: set back to 0
    expect(await redis.get(counterKey(prefix, key))).toBe('0');
    expect(await ttlOf(counterKey(prefix, key))).toBeGreaterThanOrEqual(lifetime - 2);
    await store.add(key, 2, null);
    expect(await ttlOf(counterKey(prefix, key))).toBeGreaterThanOrEqual(lifetime - 2);
    // Only the counter: nothing else was written.
    expect(await keysUnder(prefix)).toEqual([counterKey(prefix, key)]);
  });

  it('keeps counters whose period is long past by Redis’s clock when the module clock is in it (a pinned clock, faketime)', async () => {
    const { prefix } = harness();
    const start = new Date(Date.UTC(2020, 0, 1));
    const key = counter({ period: { start, end: new Date(Date.UTC(2020, 1, 1)) } });
    const store = pinned(prefix, new Date(Date.UTC(2020, 0, 15)));
    expect(await store.consume(key, 3, 10)).toEqual({ granted: true, used: 3 });
    expect(await store.used(key)).toBe(3);
    expect(await ttlOf(counterKey(prefix, key))).toBeGreaterThan(17 * DAY_SECONDS);
  });

  it('remembers an idempotency key as long as its counter, and at least the 35 days record() promises', async () => {
    const { prefix } = harness();
    const now = new Date(PERIOD.start.getTime() + 60_000);
    const store = pinned(prefix, now);
    const daily = counter({ period: { start: new Date(now.getTime() - 1000), end: new Date(now.getTime() + DAY_SECONDS * 1000) } });
    await store.add(daily, 1, 'job-1');
    expect(await ttlOf(counterKey(prefix, daily))).toBeLessThanOrEqual(2 * DAY_SECONDS);
    const dailyKeyTtl = await ttlOf(idempotencyKey(prefix, daily, 'job-1'));
    expect(dailyKeyTtl).toBeGreaterThanOrEqual(USAGE_KEY_RETENTION_DAYS * DAY_SECONDS - 2);
    expect(dailyKeyTtl).toBeLessThanOrEqual(USAGE_KEY_RETENTION_DAYS * DAY_SECONDS);
    // A yearly billing period: the key lives as long as the counter.
    const yearly = counter({ period: { start: PERIOD.start, end: new Date(PERIOD.start.getTime() + 365 * DAY_SECONDS * 1000) } });
    await store.add(yearly, 1, 'job-2');
    const yearlyCounterTtl = await ttlOf(counterKey(prefix, yearly));
    expect(yearlyCounterTtl).toBeGreaterThan(360 * DAY_SECONDS);
    expect(Math.abs((await ttlOf(idempotencyKey(prefix, yearly, 'job-2'))) - yearlyCounterTtl)).toBeLessThanOrEqual(1);
  });

  it('loads its scripts again after SCRIPT FLUSH (a restarted Redis): EVALSHA answers NOSCRIPT, EVAL runs it once', async () => {
    const calls: string[] = [];
    const recording: UsageRedisClient = {
      evalsha: (sha, numKeys, ...args) =>
        redis.evalsha(sha, numKeys, ...args).then(
          (result) => (calls.push('evalsha'), result),
          (error: Error) => {
            calls.push(`evalsha: ${error.message.split(' ')[0]}`);
            throw error;
          },
        ),
      eval: (script, numKeys, ...args) => (calls.push('eval'), redis.eval(script, numKeys, ...args)),
    };
    const prefix = freshPrefix();
    const store = new RedisUsageStore(recording, prefix);
    const key = counter();
    expect(await store.consume(key, 1, 10)).toEqual({ granted: true, used: 1 });
    // Flushing the script cache is what a Redis restart does to it; the other tests' clients on this server recover the same way.
    await redis.script('FLUSH');
    calls.length = 0;
    expect(await store.consume(key, 2, 10)).toEqual({ granted: true, used: 3 });
    expect(calls).toEqual(['evalsha: NOSCRIPT', 'eval']);
    calls.length = 0;
    expect(await store.consume(key, 2, 10)).toEqual({ granted: true, used: 5 });
    expect(calls).toEqual(['evalsha']);
    // Every operation recovers, not only consume.
    await redis.script('FLUSH');
    calls.length = 0;
    expect(await store.add(key, 1, 'job-1')).toEqual({ used: 6, duplicate: false });
    await store.release(key, 1);
    expect(await store.used(key)).toBe(5);
    expect(calls).toEqual(['evalsha: NOSCRIPT', 'eval', 'evalsha: NOSCRIPT', 'eval', 'evalsha: NOSCRIPT', 'eval']);
  });

  it('passes on any other error of the server', async () => {
    const failing: UsageRedisClient = {
      evalsha: async () => {
        throw new Error('LOADING Redis is loading the dataset in memory');
      },
      eval: async () => {
        throw new Error('eval must not be tried');
      },
    };
    await expect(new RedisUsageStore(failing, freshPrefix()).consume(counter(), 1, 10)).rejects.toThrow(/^LOADING/);
  });
});
