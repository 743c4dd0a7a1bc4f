import type { ThrottlerStorage } from '@nestjs/throttler';
import type Redis from 'ioredis';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * Test support (not part of the library API): a minimal fixed-window Redis `ThrottlerStorage`,
 * the same keys and counting as `@nest-lab/throttler-storage-redis` but without its blocking, and
 * without its re-arming of the expiry when `PTTL` answers 0 in the window's last millisecond (which
 * keeps the old count for one more window).
 */
export class MinimalRedisThrottlerStorage implements ThrottlerStorage {
  private static readonly script = `
    local hits = redis.call('INCR', KEYS[1])
    local ttl = redis.call('PTTL', KEYS[1])
    if ttl == -1 then
      redis.call('PEXPIRE', KEYS[1], ARGV[1])
      ttl = tonumber(ARGV[1])
    end
    return { hits, ttl }`;

  constructor(readonly redis: Redis) {}

  async increment(key: string, ttl: number, limit: number, _blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const [totalHits, ttlMs] = (await this.redis.eval(MinimalRedisThrottlerStorage.script, 1, `{${key}:${throttlerName}}:hits`, ttl)) as [
      number,
      number,
    ];
    const timeToExpire = Math.ceil(Math.max(ttlMs, 0) / 1000);
    const isBlocked = totalHits > limit;
    return { totalHits, timeToExpire, isBlocked, timeToBlockExpire: isBlocked ? timeToExpire : 0 };
  }
}
