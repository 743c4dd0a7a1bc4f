import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import type { UsageRedisClient } from '../config/usage-options.interface.js';
import { RedisUsageStore } from './redis-usage.store.js';
import { USAGE_KEY_RETENTION_DAYS } from './usage-retention.js';
import type { UsageCounterKey, UsageStore } from './usage-store.js';

/**
 * RedisUsageStore against the real Redis on 127.0.0.1:6379, which other tests share: each test
 * counts under a key prefix of its own and deletes its keys afterwards. The table of cases is the
 * one postgres-usage.store.spec.ts runs against the PostgreSQL store: both stores must count alike.
 */

const START_REDIS = 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no';
const DAY_SECONDS = 86_400;

/** What a case needs: the store, and the counter as stored (null: no counter at all). */
interface StoreHarness {
  store: UsageStore;
  stored(key: UsageCounterKey): Promise<number | null>;
}

const HOUR = 3_600_000;
/** A period around the current time (the store takes periods as given; the clock only matters to Redis' expiry). */
const PERIOD = { start: new Date(Math.floor(Date.now() / HOUR) * HOUR - HOUR), end: new Date(Math.floor(Date.now() / HOUR) * HOUR + 30 * 24 * HOUR) };
const NEXT_PERIOD = { start: PERIOD.end, end: new Date(PERIOD.end.getTime() + 30 * 24 * HOUR) };

function counter(overrides: Partial<UsageCounterKey> = {}): UsageCounterKey {
  return { subject: `account:acct_${randomUUID()}`, metric: 'api_calls', period: PERIOD, ...overrides };
}

// ---- the table of cases (the same in postgres-usage.store.spec.ts) ----
function storeContract(harness: () => StoreHarness): void {
  let h: StoreHarness;
  beforeEach(() => (h = harness()));

  it('grants within the limit and adds the cost', async () => {
    const key = counter();
    expect(await h.store.consume(key, 3, 10)).toEqual({ granted: true, used: 3 });
    expect(await h.store.consume(key, 4, 10)).toEqual({ granted: true, used: 7 });
    expect(await h.store.used(key)).toBe(7);
    expect(await h.stored(key)).toBe(7);
  });

  it('grants up to exactly the limit, then refuses adding nothing', async () => {
    const key = counter();
    expect(await h.store.consume(key, 7, 10)).toEqual({ granted: true, used: 7 });
    expect(await h.store.consume(key, 3, 10)).toEqual({ granted: true, used: 10 });
    expect(await h.store.consume(key, 1, 10)).toEqual({ granted: false, used: 10 });
    expect(await h.stored(key)).toBe(10);
  });

  it('refuses a cost that would pass the limit without adding any of it, and grants one that fits', async () => {
    const key = counter();
    await h.store.consume(key, 8, 10);
    expect(await h.store.consume(key, 3, 10)).toEqual({ granted: false, used: 8 });
    expect(await h.stored(key)).toBe(8);
    expect(await h.store.consume(key, 2, 10)).toEqual({ granted: true, used: 10 });
  });

  it('always grants when unlimited (Infinity)', async () => {
    const key = counter();
    expect(await h.store.consume(key, 1_000_000, Infinity)).toEqual({ granted: true, used: 1_000_000 });
    expect(await h.store.consume(key, 1_000_000, Infinity)).toEqual({ granted: true, used: 2_000_000 });
    expect(await h.stored(key)).toBe(2_000_000);
  });

  it('refuses a cost larger than the limit on a fresh counter and creates no counter', async () => {
    const key = counter();
    expect(await h.store.consume(key, 11, 10)).toEqual({ granted: false, used: 0 });
    expect(await h.store.consume(key, 1, 0)).toEqual({ granted: false, used: 0 });
    expect(await h.stored(key)).toBeNull();
    expect(await h.store.used(key)).toBe(0);
  });

  it('rounds a fractional limit down to whole units', async () => {
    const key = counter();
    expect(await h.store.consume(key, 3, 2.5)).toEqual({ granted: false, used: 0 });
    expect(await h.store.consume(key, 2, 2.5)).toEqual({ granted: true, used: 2 });
    expect(await h.store.consume(key, 1, 2.5)).toEqual({ granted: false, used: 2 });
  });

  it('adds without an idempotency key every time, whatever the limit', async () => {
    const key = counter();
    await h.store.consume(key, 10, 10);
    expect(await h.store.add(key, 5, null)).toEqual({ used: 15, duplicate: false });
    expect(await h.store.add(key, 5, null)).toEqual({ used: 20, duplicate: false });
    expect(await h.stored(key)).toBe(20);
    // Over the limit now: consume refuses, and says how far over.
    expect(await h.store.consume(key, 1, 10)).toEqual({ granted: false, used: 20 });
  });

  it('adds once per idempotency key: a duplicate adds nothing and says so', async () => {
    const key = counter();
    expect(await h.store.add(key, 5, 'job-1')).toEqual({ used: 5, duplicate: false });
    expect(await h.store.add(key, 5, 'job-1')).toEqual({ used: 5, duplicate: true });
    expect(await h.store.add(key, 2, 'job-2')).toEqual({ used: 7, duplicate: false });
    expect(await h.store.add(key, 9, 'job-1')).toEqual({ used: 7, duplicate: true });
    expect(await h.stored(key)).toBe(7);
  });

  it('keeps idempotency keys per subject and metric, and a key stays a duplicate in the next period', async () => {
    const key = counter();
    await h.store.add(key, 1, 'job-1');
    expect(await h.store.add({ ...key, metric: 'exports' }, 1, 'job-1')).toEqual({ used: 1, duplicate: false });
    expect(await h.store.add({ ...key, subject: `${key.subject}_other` }, 1, 'job-1')).toEqual({ used: 1, duplicate: false });
    expect(await h.store.add({ ...key, period: NEXT_PERIOD }, 1, 'job-1')).toEqual({ used: 0, duplicate: true });
    expect(await h.stored({ ...key, period: NEXT_PERIOD })).toBeNull();
    expect(await h.stored(key)).toBe(1);
  });

  it('adds once when the same key is added concurrently', async () => {
    const key = counter();
    const answers = await Promise.all(Array.from({ length: 25 }, () => h.store.add(key, 3, 'retried-job')));
    expect(answers.filter((a) => !a.duplicate)).toEqual([{ used: 3, duplicate: false }]);
    expect(answers.filter((a) => a.duplicate)).toHaveLength(24);
    expect(await h.stored(key)).toBe(3);
  });

  it('never grants more than the limit to concurrent consumers', async () => {
    const key = counter();
    const answers = await Promise.all(Array.from({ length: 60 }, () => h.store.consume(key, 1, 25)));
    expect(answers.filter((a) => a.granted)).toHaveLength(25);
    expect(answers.filter((a) => a.granted).map((a) => a.used).sort((x, y) => x - y)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(answers.filter((a) => !a.granted).every((a) => a.used === 25)).toBe(true);
    expect(await h.stored(key)).toBe(25);
  });

  it('releases units, never below zero', async () => {
    const key = counter();
    await h.store.consume(key, 5, 10);
    await h.store.release(key, 2);
    expect(await h.stored(key)).toBe(3);
    await h.store.release(key, 10);
    expect(await h.stored(key)).toBe(0);
    expect(await h.store.used(key)).toBe(0);
    expect(await h.store.consume(key, 10, 10)).toEqual({ granted: true, used: 10 });
  });

  it('makes room with a release: the units can be consumed again', async () => {
    const key = counter();
    await h.store.consume(key, 10, 10);
    expect((await h.store.consume(key, 1, 10)).granted).toBe(false);
    await h.store.release(key, 1);
    expect(await h.store.consume(key, 1, 10)).toEqual({ granted: true, used: 10 });
  });

  it('does nothing when releasing a counter that does not exist (creates none)', async () => {
    const key = counter();
    await h.store.release(key, 3);
    expect(await h.stored(key)).toBeNull();
    expect(await h.store.consume(key, 10, 10)).toEqual({ granted: true, used: 10 });
  });

  it('keeps separate counters per period, metric and subject', async () => {
    const key = counter();
    await h.store.consume(key, 10, 10);
    expect((await h.store.consume(key, 1, 10)).granted).toBe(false);
    const others = [{ ...key, period: NEXT_PERIOD }, { ...key, metric: 'exports' }, { ...key, subject: `${key.subject}_other` }];
    for (const other of others) {
      expect(await h.store.used(other)).toBe(0);
      expect(await h.store.consume(other, 4, 10)).toEqual({ granted: true, used: 4 });
    }
    await h.store.release(others[0], 4);
    expect(await h.stored(key)).toBe(10);
    expect(await Promise.all(others.map((other) => h.stored(other)))).toEqual([0, 4, 4]);
  });
}

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
