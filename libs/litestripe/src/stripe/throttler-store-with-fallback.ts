import { Logger } from '@nestjs/common';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import { monotonicMs } from '../common/clock.js';

/**
 * A shared `ThrottlerStorage` (e.g. Redis) with an in-memory one that takes over for each call the
 * shared one fails, so that an outage of the store limits per process instead of failing every
 * call. Warns about the failure at most once per `warnEveryMs`.
 */
export class ThrottlerStoreWithFallback {
  private fallback?: ThrottlerStorageService;
  private lastWarningAt = Number.NEGATIVE_INFINITY;

  /** `limited` names what the counts limit, for the warning (e.g. "Stripe API calls"). */
  constructor(
    private readonly store: ThrottlerStorage,
    private readonly logger: Logger,
    private readonly limited: string,
  ) {}

  /** Counts with the shared store, or, when it throws, with the in-memory one (`inMemory` true). */
  async count<T>(counting: (storage: ThrottlerStorage, inMemory: boolean) => Promise<T>, warnEveryMs: number): Promise<T> {
    try {
      return await counting(this.store, false);
    } catch (error) {
      this.warn(error, warnEveryMs);
      this.fallback ??= new ThrottlerStorageService();
      return counting(this.fallback, true);
    }
  }

  /**
   * Counts one hit of `key` against `limit` per window of `windowSeconds`, as `@nestjs/throttler`'s
   * guard counts (past the limit the key is blocked for one window): null while within the limit,
   * else the whole seconds to wait (at least 1).
   */
  async hit(key: string, limit: number, windowSeconds: number, throttlerName: string): Promise<number | null> {
    const windowMs = windowSeconds * 1000;
    const record = await this.count((storage) => storage.increment(key, windowMs, limit, windowMs, throttlerName), windowMs);
    if (!record.isBlocked) return null;
    // Store times are whole seconds rounded up; one answering 0 (its last millisecond) or nothing usable still means "wait".
    const seconds = Number.isFinite(record.timeToBlockExpire) ? Math.min(record.timeToBlockExpire, windowSeconds) : windowSeconds;
    return Math.max(1, seconds);
  }

  /** Clears the in-memory store's timers. */
  close(): void {
    this.fallback?.onApplicationShutdown();
  }

  private warn(error: unknown, warnEveryMs: number): void {
    const now = monotonicMs();
    if (now - this.lastWarningAt < warnEveryMs) return;
    this.lastWarningAt = now;
    const kind = error instanceof Error ? error.name : typeof error;
    this.logger.warn(`The rate-limit store failed (${kind}); ${this.limited} are limited per process until it answers again.`);
  }
}
