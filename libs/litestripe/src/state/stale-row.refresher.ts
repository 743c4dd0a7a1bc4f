import { Inject, Injectable, Logger } from '@nestjs/common';
import type Stripe from 'stripe';
import type { StripeSubscription } from '../entities/stripe-subscription.entity.js';
import { InjectStripeClient } from '../stripe/stripe-client.decorator.js';
import { inRefreshLane } from '../stripe/stripe-request-lane.js';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from '../config/entitlement-options.js';
import { SubscriptionObjectApplier } from './subscription-object.applier.js';
import { errorMessage } from '../common/describe-error.js';

/** One retry a minute (by the module's clock) per subscription at most: a missed webhook must not spend the API budget per request. */
const RETRY_AFTER_MS = 60_000;

/**
 * Re-reads a stale row (an `active`/`trialing` row whose period ended long ago: a renewal webhook
 * was missed) from Stripe and writes it through `SubscriptionObjectApplier`. Concurrent requests for one
 * subscription share one read; a failed read is logged and the row stays stale (not entitled).
 */
@Injectable()
export class StaleRowRefresher {
  private readonly logger = new Logger('Litestripe');
  private readonly inFlight = new Map<string, Promise<StripeSubscription | null>>();
  private readonly attempted = new Map<string, number>();

  constructor(
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly options: ResolvedEntitlementOptions,
    private readonly applier: SubscriptionObjectApplier,
    @InjectStripeClient() private readonly stripe: Stripe,
  ) {}

  get enabled(): boolean {
    return this.options.refreshStaleRows;
  }

  /** The fresh row, or null when not refreshed (disabled, tried less than a minute ago, or failed). */
  refresh(row: StripeSubscription): Promise<StripeSubscription | null> {
    if (!this.enabled) return Promise.resolve(null);
    const pending = this.inFlight.get(row.id);
    if (pending) return pending;
    const now = this.options.clock.now().getTime();
    if (now - (this.attempted.get(row.id) ?? -Infinity) < RETRY_AFTER_MS) return Promise.resolve(null);
    this.remember(row.id, now);
    const read = this.read(row).finally(() => this.inFlight.delete(row.id));
    this.inFlight.set(row.id, read);
    return read;
  }

  private async read(row: StripeSubscription): Promise<StripeSubscription | null> {
    try {
      // Access waits on this read: it may use the budget's reserve (the refresh lane).
      const answer = await inRefreshLane(() => this.stripe.subscriptions.retrieve(row.id));
      const fresh = await this.applier.apply(answer, { operation: 'subscription.retrieve', observed: row });
      this.logger.log(`Subscription ${row.id} was stale (period ended ${row.currentPeriodEnd?.toISOString()}); refreshed from Stripe: ${fresh.status}. Check that the webhook receives customer.subscription.updated.`);
      return fresh;
    } catch (error) {
      this.logger.warn(`Subscription ${row.id} is stale and could not be refreshed from Stripe; it does not entitle until it is: ${errorMessage(error)}`);
      return null;
    }
  }

  private remember(id: string, at: number): void {
    this.attempted.set(id, at);
    if (this.attempted.size > 1000) {
      for (const [key, when] of this.attempted) if (at - when >= RETRY_AFTER_MS) this.attempted.delete(key);
    }
  }
}
