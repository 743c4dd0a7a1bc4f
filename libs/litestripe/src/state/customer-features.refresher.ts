import { Inject, Injectable } from '@nestjs/common';
import type Stripe from 'stripe';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../config/resolved-options.js';
import { InjectStripeClient } from '../stripe/stripe-client.decorator.js';
import { CustomerFeaturesWriter, entitlementLookupKey } from './customer-features.writer.js';
import { answerTime } from './subscription-object.applier.js';

/** Stripe's largest page. */
const PAGE_SIZE = 100;

/**
 * Reads a customer's active entitlements from Stripe (every page) and stores their lookup keys as
 * of Stripe's answer: what the backfill does for every customer it sees, and the success page for
 * the customer who just subscribed (so Stripe's features count before their webhook arrives).
 */
@Injectable()
export class CustomerFeaturesRefresher {
  constructor(
    @Inject(LITESTRIPE_OPTIONS) private readonly options: ResolvedLitestripeOptions,
    @InjectStripeClient() private readonly stripe: Stripe,
    private readonly writer: CustomerFeaturesWriter,
  ) {}

  /** Whether the stored keys changed. */
  async refresh(customerId: string): Promise<boolean> {
    const listing = await this.list(customerId);
    return this.writer.writeListing({ customerId, livemode: this.options.livemode, lookupKeys: listing.lookupKeys, eventCreated: listing.answeredAt }, listing.requestId);
  }

  /** A customer's active entitlements, every page; dated by Stripe's first answer (its `Date` header). */
  private async list(customer: string): Promise<{ lookupKeys: string[]; answeredAt: number; requestId: string | null }> {
    const lookupKeys: string[] = [];
    let answeredAt: number | null = null;
    let requestId: string | null = null;
    let startingAfter: string | undefined;
    for (;;) {
      let page: Stripe.Response<Stripe.ApiList<Stripe.Entitlements.ActiveEntitlement>>;
      try {
        page = await this.stripe.entitlements.activeEntitlements.list({ customer, limit: PAGE_SIZE, starting_after: startingAfter });
      } catch (error) {
        const missing = error as { statusCode?: number; headers?: Record<string, string>; requestId?: string };
        if (startingAfter !== undefined || missing.statusCode !== 404) throw error;
        // A deleted customer has no entitlements left.
        return { lookupKeys: [], answeredAt: answerTime(missing.headers, this.options.clock), requestId: missing.requestId || null };
      }
      if (answeredAt === null) {
        answeredAt = answerTime(page.lastResponse?.headers, this.options.clock);
        requestId = page.lastResponse?.requestId || null;
      }
      for (const entitlement of page.data) {
        const key = entitlementLookupKey(entitlement);
        if (key) lookupKeys.push(key);
      }
      const last = page.data.at(-1);
      if (!page.has_more || !last) return { lookupKeys, answeredAt, requestId };
      startingAfter = last.id;
    }
  }
}
