import type { UsagePeriod } from './usage-period.js';

/** One counter: a subject's use of a metric in one period. */
export interface UsageCounterKey {
  subject: string;
  metric: string;
  period: UsagePeriod;
}

/**
 * Where use is counted. Every operation is one atomic step in the store, so instances sharing it
 * never grant together more than the limit.
 */
export interface UsageStore {
  /** Adds `cost` only if the total stays within `limit` (`Infinity`: always). `used` is the total after. */
  consume(key: UsageCounterKey, cost: number, limit: number): Promise<{ granted: boolean; used: number }>;
  /** Adds `quantity` whatever the limit, once per idempotency key (null: no key). */
  add(key: UsageCounterKey, quantity: number, idempotencyKey: string | null): Promise<{ used: number; duplicate: boolean }>;
  /** Gives `cost` back (a consumed unit whose request failed), never below zero. */
  release(key: UsageCounterKey, cost: number): Promise<void>;
  used(key: UsageCounterKey): Promise<number>;
}

/** Limits are whole units; a fractional limit (2.5 per seat) rounds down. Null: unlimited. */
export function storedLimit(limit: number): number | null {
  return limit === Infinity ? null : Math.floor(limit);
}
