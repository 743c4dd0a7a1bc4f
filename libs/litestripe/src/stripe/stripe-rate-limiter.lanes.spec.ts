import { randomUUID } from 'node:crypto';
import { ThrottlerStorageService, type ThrottlerStorage } from '@nestjs/throttler';
import Redis from 'ioredis';
import { StripeRateLimitExceededError } from '../errors/stripe-rate-limit-exceeded.error.js';
import { StripeRateLimitQueueFullError } from '../errors/stripe-rate-limit-queue-full.error.js';
import { defaultLaneLimit, StripeRateLimiter, type StripeRateLimiterOptions } from './stripe-rate-limiter.js';
import { StripeRateLimiterClosedError } from '../errors/stripe-rate-limiter-closed.error.js';
import type { StripeRequestLane } from './stripe-request-lane.js';
import { LogCapture } from '../../../../test/support/log-capture';
import { MinimalRedisThrottlerStorage } from './test-support/redis-throttler-storage.js';

const REDIS = { host: '127.0.0.1', port: 6379 };
/** Long enough that no slot frees while a test runs: what is granted and what waits is decided by counts alone. */
const LONG_WINDOW_MS = 30_000;

/** A store that notes each `increment()` it passes on, with the count the store answered. */
class RecordingStorage implements ThrottlerStorage {
  readonly calls: { key: string; totalHits: number }[] = [];
  constructor(private readonly inner: ThrottlerStorage) {}

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string) {
    const record = await this.inner.increment(key, ttl, limit, blockDuration, throttlerName);
    this.calls.push({ key, totalHits: record.totalHits });
    return record;
  }
}

/** A call to `acquire()` whose outcome can be looked at without awaiting it. */
interface Tracked {
  lane: StripeRequestLane;
  state: 'waiting' | 'granted' | Error;
  settled: Promise<void>;
}

function track(limiter: StripeRateLimiter, lane: StripeRequestLane): Tracked {
  const tracked: Tracked = { lane, state: 'waiting', settled: Promise.resolve() };
  tracked.settled = limiter.acquire(lane).then(
    () => void (tracked.state = 'granted'),
    (error: Error) => void (tracked.state = error),
  );
  return tracked;
}

const states = (calls: Tracked[]) => calls.map((call) => (call.state instanceof Error ? call.state.name : call.state));

describe('defaultLaneLimit', () => {
  it('leaves the default lane what the reserve does not take, rounded down, and at least one request', () => {
    expect(defaultLaneLimit(75, 0.2)).toBe(60);
    expect(defaultLaneLimit(100, 0.35)).toBe(65);
    expect(defaultLaneLimit(5, 0.2)).toBe(4);
    expect(defaultLaneLimit(10, 0)).toBe(10);
    expect(defaultLaneLimit(2, 0.9)).toBe(1);
    expect(defaultLaneLimit(1, 0.2)).toBe(1);
  });
});

describe.each([
  ['the in-memory store (sliding log)', 'memory'],
  ['a fixed-window Redis store (counter)', 'redis'],
] as const)('StripeRateLimiter lanes with %s', (_, kind) => {
  const runId = randomUUID();
  const limiters: StripeRateLimiter[] = [];
  let redis: Redis | undefined;
  let keys = 0;

  beforeAll(async () => {
    if (kind === 'redis') {
      redis = new Redis({ ...REDIS, lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect().catch((error: unknown) => {
        throw new Error(`Redis is not reachable at 127.0.0.1:6379 (${String(error)}); start it with: redis-server --daemonize yes`);
      });
    }
  });
  afterEach(() => limiters.splice(0).forEach((limiter) => limiter.onApplicationShutdown()));
  afterAll(async () => {
    if (redis) {
      const used = await redis.keys(`*litestripe_lanes_${runId}*`);
      if (used.length > 0) await redis.del(...used);
      await redis.quit();
    }
  });

  function storage(): ThrottlerStorage {
    return kind === 'redis' ? new MinimalRedisThrottlerStorage(redis!) : new ThrottlerStorageService();
  }

  function limiter(options: Partial<StripeRateLimiterOptions> & Pick<StripeRateLimiterOptions, 'limit'>): StripeRateLimiter {
    const created = new StripeRateLimiter({
      storage: storage(),
      ownsStorage: true,
      key: `litestripe_lanes_${runId}_${keys++}`,
      windowMs: LONG_WINDOW_MS,
      maxWaitMs: LONG_WINDOW_MS,
      ...options,
    });
    limiters.push(created);
    return created;
  }

  it('gives the default lane only its share, in order of arrival, and the refresh lane the rest of the budget', async () => {
    const rateLimiter = limiter({ limit: 5, reserveForRefreshes: 0.4 }); // default lane: 3 of 5
    const defaults = Array.from({ length: 6 }, () => track(rateLimiter, 'default'));
    await Promise.all(defaults.slice(0, 3).map((call) => call.settled));

    const refreshes = Array.from({ length: 3 }, () => track(rateLimiter, 'refresh'));
    await Promise.all(refreshes.slice(0, 2).map((call) => call.settled));

    expect(states(defaults)).toEqual(['granted', 'granted', 'granted', 'waiting', 'waiting', 'waiting']);
    // The reserve went to refreshes, and a third finds the whole budget used.
    expect(states(refreshes)).toEqual(['granted', 'granted', 'waiting']);
    expect(rateLimiter.waiting()).toEqual({ default: 3, refresh: 1 });

    rateLimiter.onApplicationShutdown();
    await Promise.all([...defaults, ...refreshes].map((call) => call.settled));
    expect(states([...defaults.slice(3), refreshes[2]])).toEqual(Array(4).fill('StripeRateLimiterClosedError'));
  });

  it('serves a refresh at once while a long queue of default-lane calls waits', async () => {
    const rateLimiter = limiter({ limit: 10, reserveForRefreshes: 0.2 }); // default lane: 8 of 10
    const defaults = Array.from({ length: 50 }, () => track(rateLimiter, 'default'));
    await Promise.all(defaults.slice(0, 8).map((call) => call.settled));

    const refresh = track(rateLimiter, 'refresh');
    await refresh.settled;

    expect(refresh.state).toBe('granted');
    expect(states(defaults).filter((state) => state === 'granted')).toHaveLength(8);
    expect(rateLimiter.waiting()).toEqual({ default: 42, refresh: 0 });
  });

  it('lets a default-lane call touch the shared count only after its own share granted, so its polling never eats the reserve', async () => {
    const recording = new RecordingStorage(storage());
    // A short window: the head of the default lane asks the store again every few milliseconds.
    const rateLimiter = limiter({ storage: recording, limit: 4, reserveForRefreshes: 0.5, windowMs: 1000, maxWaitMs: 5000 });
    const key = (rateLimiter as unknown as { options: StripeRateLimiterOptions }).options.key;
    const defaults = Array.from({ length: 4 }, () => track(rateLimiter, 'default'));
    await Promise.all(defaults.slice(0, 2).map((call) => call.settled));
    const polled = () => recording.calls.filter((call) => call.key === `${key}:default` && call.totalHits > 2).length;
    while (polled() < 3) await new Promise((resolve) => setTimeout(resolve, 5));

    const refreshes = [track(rateLimiter, 'refresh'), track(rateLimiter, 'refresh')];
    await Promise.all(refreshes.map((call) => call.settled));

    expect(states(refreshes)).toEqual(['granted', 'granted']);
    const ownGrants = recording.calls.filter((call) => call.key === `${key}:default` && call.totalHits <= 2).length;
    const sharedByDefault = recording.calls.filter((call) => call.key === key).length - refreshes.length;
    // Windows may roll over meanwhile; whatever happened, the default lane asked the shared count once per grant of its own.
    expect(sharedByDefault).toBeLessThanOrEqual(ownGrants);
    expect(polled()).toBeGreaterThanOrEqual(3);
    rateLimiter.onApplicationShutdown();
    await Promise.all(defaults.map((call) => call.settled));
  });

  it('without a reserve, serves both lanes from one queue in order of arrival', async () => {
    const rateLimiter = limiter({ limit: 2, reserveForRefreshes: 0 });
    const defaults = Array.from({ length: 3 }, () => track(rateLimiter, 'default'));
    await Promise.all(defaults.slice(0, 2).map((call) => call.settled));
    const refresh = track(rateLimiter, 'refresh');

    expect(rateLimiter.waiting()).toEqual({ default: 2, refresh: 0 });
    rateLimiter.onApplicationShutdown();
    await Promise.all([...defaults, refresh].map((call) => call.settled));
    expect(states([...defaults, refresh])).toEqual(['granted', 'granted', 'StripeRateLimiterClosedError', 'StripeRateLimiterClosedError']);
  });

  it('refuses a call at once when its lane already holds maxQueue waiting calls, without touching the other lane', async () => {
    const rateLimiter = limiter({ limit: 2, reserveForRefreshes: 0.5, maxQueue: 3 }); // default lane: 1 of 2
    const first = track(rateLimiter, 'default');
    await first.settled;
    const waiting = Array.from({ length: 3 }, () => track(rateLimiter, 'default'));

    const refused = await rateLimiter.acquire('default').then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(refused).toBeInstanceOf(StripeRateLimitQueueFullError);
    expect(refused).toBeInstanceOf(StripeRateLimitExceededError);
    expect((refused as Error).message).toMatch(/3 Stripe API calls are already waiting .*maxRateLimitQueue/);
    expect((refused as StripeRateLimitQueueFullError).maxQueue).toBe(3);
    expect(states(waiting)).toEqual(['waiting', 'waiting', 'waiting']);
    // The refresh lane has a queue of its own: it is served from the reserve.
    const refresh = track(rateLimiter, 'refresh');
    await refresh.settled;
    expect(refresh.state).toBe('granted');
    expect(rateLimiter.waiting()).toEqual({ default: 3, refresh: 0 });
  });

  it('gives a default-lane call past maxWaitMs the error naming its lane’s share', async () => {
    const rateLimiter = limiter({ limit: 5, reserveForRefreshes: 0.4, maxWaitMs: 200 });
    await Promise.all(Array.from({ length: 3 }, () => rateLimiter.acquire('default')));

    const error = await rateLimiter.acquire('default').catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(StripeRateLimitExceededError);
    expect(error).not.toBeInstanceOf(StripeRateLimitQueueFullError);
    expect((error as StripeRateLimitExceededError).limit).toBe(3);
    await expect(rateLimiter.acquire('refresh')).resolves.toBeUndefined();
  });
});

describe('StripeRateLimiter lanes while the store fails', () => {
  it('keeps the reserve in the per-process fallback', async () => {
    const logs = new LogCapture().install();
    const rateLimiter = new StripeRateLimiter({
      storage: { increment: () => Promise.reject(new Error('store unreachable')) },
      ownsStorage: false,
      key: 'lanes_failing_store',
      limit: 4,
      windowMs: LONG_WINDOW_MS,
      maxWaitMs: LONG_WINDOW_MS,
      reserveForRefreshes: 0.5,
    });
    try {
      const defaults = Array.from({ length: 4 }, () => track(rateLimiter, 'default'));
      await Promise.all(defaults.slice(0, 2).map((call) => call.settled));
      const refreshes = Array.from({ length: 3 }, () => track(rateLimiter, 'refresh'));
      await Promise.all(refreshes.slice(0, 2).map((call) => call.settled));

      expect(states(defaults)).toEqual(['granted', 'granted', 'waiting', 'waiting']);
      expect(states(refreshes)).toEqual(['granted', 'granted', 'waiting']);
      expect(logs.messages('warn').filter((message) => message.includes('rate-limit store failed'))).toHaveLength(1);

      rateLimiter.onApplicationShutdown();
      await Promise.all([...defaults, ...refreshes].map((call) => call.settled));
      expect(states([...defaults, ...refreshes]).filter((state) => state === 'StripeRateLimiterClosedError')).toHaveLength(3);
      await expect(rateLimiter.acquire('refresh')).rejects.toBeInstanceOf(StripeRateLimiterClosedError);
    } finally {
      rateLimiter.onApplicationShutdown();
      logs.uninstall();
    }
  });
});
