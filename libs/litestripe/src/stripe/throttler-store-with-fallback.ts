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
