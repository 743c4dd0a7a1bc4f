import { Logger } from '@nestjs/common';
import type { AccountSubscription } from './account-entitlement.js';

/** Says once per price (per process) that a subscription's price is in no plan, so the host can add it. */
export class UnlistedPriceLog {
  private readonly logger = new Logger('Litestripe');
  private readonly seen = new Set<string>();

  note(decided: readonly AccountSubscription[]): void {
    for (const { subscription, access } of decided) {
      if (access.reason !== 'unlisted_price') continue;
      const price = subscription.priceId ?? subscription.lookupKey ?? '(none)';
      if (this.seen.has(price)) continue;
      this.seen.add(price);
      this.logger.warn(
        `Subscription ${subscription.id} is on price ${price}, which no configured plan lists: it does not entitle. Add the price (or its lookup key) to a plan, or set allowUnlistedPrices: true.`,
      );
    }
  }
}
