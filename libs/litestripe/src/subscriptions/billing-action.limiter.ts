import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import { monotonicMs } from '../common/clock';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../config/resolved-options';
import type { LitestripeClientOptions } from '../stripe/stripe-client-options.interface';
import { BillingActionLimitException } from './billing-action-limit.exception';

/** Name under which billing actions are counted in the store, next to the key. */
const THROTTLER_NAME = 'litestripe-billing-actions';

/**
 * Counts each account's billing actions (`billingActionLimit`) in `rateLimitStorage`, the store of
 * the API rate limiter, so that instances sharing it share the count. Counted as
 * `@nestjs/throttler`'s guard counts: past the limit the account is blocked for one window.
 */
@Injectable()
export class BillingActionLimiter implements OnApplicationShutdown {
  private readonly logger = new Logger('Litestripe');
  private readonly storage: ThrottlerStorage;
  private ownStorage?: ThrottlerStorageService;
  private fallbackStorage?: ThrottlerStorageService;
  private lastStoreWarningAt = Number.NEGATIVE_INFINITY;

  // The client's options ride along in the resolved ones, checked by the client's factory.
  constructor(@Inject(LITESTRIPE_OPTIONS) private readonly options: ResolvedLitestripeOptions & Pick<LitestripeClientOptions, 'rateLimitStorage'>) {
    this.storage = options.rateLimitStorage ?? (this.ownStorage = new ThrottlerStorageService());
  }

  /**
   * Counts one billing action of `payer` (an account reference; for an action whose account is not
   * known, the Stripe id that stands for it) and throws `BillingActionLimitException` past the limit.
   */
  async take(payer: string): Promise<void> {
    const limit = this.options.billingActionLimit;
    if (limit === false) return;
    const key = `${this.options.rateLimitCacheKey}:billing:${payer}`;
    const windowMs = limit.windowSeconds * 1000;
    let record: Awaited<ReturnType<ThrottlerStorage['increment']>>;
    try {
      record = await this.storage.increment(key, windowMs, limit.limit, windowMs, THROTTLER_NAME);
    } catch (error) {
      this.warnStoreFailure(error, windowMs);
      this.fallbackStorage ??= new ThrottlerStorageService();
      record = await this.fallbackStorage.increment(key, windowMs, limit.limit, windowMs, THROTTLER_NAME);
    }
    if (record.isBlocked) {
      // Store times are whole seconds rounded up; one answering 0 (its last millisecond) or nothing usable still means "wait".
      const seconds = Number.isFinite(record.timeToBlockExpire) ? Math.min(record.timeToBlockExpire, limit.windowSeconds) : limit.windowSeconds;
      throw new BillingActionLimitException(Math.max(1, seconds));
    }
  }

  onApplicationShutdown(): void {
    this.ownStorage?.onApplicationShutdown();
    this.fallbackStorage?.onApplicationShutdown();
  }

  private warnStoreFailure(error: unknown, windowMs: number): void {
    const now = monotonicMs();
    if (now - this.lastStoreWarningAt < windowMs) return;
    this.lastStoreWarningAt = now;
    const kind = error instanceof Error ? error.name : typeof error;
    this.logger.warn(`The rate-limit store failed (${kind}); billing actions are limited per process until it answers again.`);
  }
}
