import { createHash } from 'node:crypto';
import type { UsageRedisClient } from '../config/usage-options.interface.js';
import type { LitestripeClock } from '../common/litestripe-clock.interface.js';
import { systemClock } from '../common/clock.js';
import { USAGE_KEY_RETENTION_DAYS } from './usage-retention.js';
import { storedLimit, UsageCounterKey, UsageStore } from './usage-store.js';

// KEYS[1] counter; ARGV cost, limit (-1: unlimited), time to live (seconds). Answers {granted, used}.
const CONSUME = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local cost = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
if limit >= 0 and used + cost > limit then return {0, used} end
used = redis.call('INCRBY', KEYS[1], cost)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return {1, used}`;

// KEYS[1] counter, KEYS[2] idempotency key ('' for none); ARGV quantity, the counter's time to live, the key's (seconds). Answers {added, used}.
const ADD = `
if KEYS[2] ~= '' and not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[3]) then
  return {0, tonumber(redis.call('GET', KEYS[1]) or '0')}
end
local used = redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return {1, used}`;

const RELEASE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local used = redis.call('DECRBY', KEYS[1], ARGV[1])
if used < 0 then redis.call('SET', KEYS[1], 0, 'KEEPTTL') end
return 0`;

const USED = `return tonumber(redis.call('GET', KEYS[1]) or '0')`;

/** A counter outlives its period by a day: a check at the boundary on a clock a little behind still finds it. */
const EXPIRY_SLACK_SECONDS = 86_400;

/**
 * Counts in Redis: each operation one Lua script, atomic on the server. Counters and idempotency
 * keys of a subject and metric share a hash tag, so they stay on one node of a cluster.
 */
export class RedisUsageStore implements UsageStore {
  constructor(
    private readonly redis: UsageRedisClient,
    private readonly prefix: string,
    /** The module's clock: lifetimes are sent relative to it, so a Redis whose clock differs keeps them as long. */
    private readonly clock: LitestripeClock = systemClock,
  ) {}

  async consume(key: UsageCounterKey, cost: number, limit: number): Promise<{ granted: boolean; used: number }> {
    const [granted, used] = (await this.run(CONSUME, [this.counter(key)], [cost, storedLimit(limit) ?? -1, this.ttl(key)])) as [number, number];
    return { granted: granted === 1, used: Number(used) };
  }

  async add(key: UsageCounterKey, quantity: number, idempotencyKey: string | null): Promise<{ used: number; duplicate: boolean }> {
    const seen = idempotencyKey === null ? '' : `${this.base(key)}:key:${idempotencyKey}`;
    // An idempotency key is remembered as long as its counter, and at least as long as PostgreSQL keeps litestripe_usage_record.
    const ttl = this.ttl(key);
    const [added, used] = (await this.run(ADD, [this.counter(key), seen], [quantity, ttl, Math.max(USAGE_KEY_RETENTION_DAYS * 86_400, ttl)])) as [number, number];
    return { used: Number(used), duplicate: added === 0 };
  }

  async release(key: UsageCounterKey, cost: number): Promise<void> {
    await this.run(RELEASE, [this.counter(key)], [cost]);
  }

  async used(key: UsageCounterKey): Promise<number> {
    return Number(await this.run(USED, [this.counter(key)], []));
  }

  /** Seconds a counter lives: to a day after its period ends. */
  private ttl(key: UsageCounterKey): number {
    return Math.max(1, Math.ceil((key.period.end.getTime() - this.clock.now().getTime()) / 1000) + EXPIRY_SLACK_SECONDS);
  }

  private base(key: UsageCounterKey): string {
    return `${this.prefix}:{${key.subject}|${key.metric}}`;
  }

  private counter(key: UsageCounterKey): string {
    return `${this.base(key)}:${key.period.start.getTime()}`;
  }

  /** EVALSHA, and EVAL the first time a server (or a restarted one) does not know the script. */
  private async run(script: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    const sha = sha1(script);
    try {
      return await this.redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!String((error as Error)?.message).includes('NOSCRIPT')) throw error;
      return this.redis.eval(script, keys.length, ...keys, ...args);
    }
  }
}

const shas = new Map<string, string>();
function sha1(script: string): string {
  let sha = shas.get(script);
  if (!sha) shas.set(script, (sha = createHash('sha1').update(script).digest('hex')));
  return sha;
}
