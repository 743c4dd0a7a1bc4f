import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../config/resolved-options.js';
import type { LitestripeClientOptions } from '../config/stripe-client-options.interface.js';
import { ThrottlerStoreWithFallback } from '../stripe/throttler-store-with-fallback.js';
import { BillingActionLimitException } from '../errors/billing-action-limit.exception.js';

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
  private readonly stores: ThrottlerStoreWithFallback;
  private ownStorage?: ThrottlerStorageService;

  // The client's options ride along in the resolved ones, checked by the client's factory.
  constructor(@Inject(LITESTRIPE_OPTIONS) private readonly options: ResolvedLitestripeOptions & Pick<LitestripeClientOptions, 'rateLimitStorage'>) {
    const storage = options.rateLimitStorage ?? (this.ownStorage = new ThrottlerStorageService());
    this.stores = new ThrottlerStoreWithFallback(storage, this.logger, 'billing actions');
  }

  /**
   * Counts one billing action of `payer` (an account reference; for an action whose account is not
   * known, the Stripe id that stands for it) and throws `BillingActionLimitException` past the limit.
   */
  async take(payer: string): Promise<void> {
    const limit = this.options.billingActionLimit;
    if (limit === false) return;
    const wait = await this.stores.hit(`${this.options.rateLimitCacheKey}:billing:${payer}`, limit.limit, limit.windowSeconds, THROTTLER_NAME);
    if (wait !== null) throw new BillingActionLimitException(wait);
  }

  onApplicationShutdown(): void {
    this.ownStorage?.onApplicationShutdown();
    this.stores.close();
  }
}
