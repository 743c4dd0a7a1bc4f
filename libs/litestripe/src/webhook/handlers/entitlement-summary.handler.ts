import { Inject, Injectable } from '@nestjs/common';
import type Stripe from 'stripe';
import { EntityManager } from 'typeorm';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from '../../config/entitlement-options.js';
import { PendingDomainEvent, StripeEventRef } from '../../events/litestripe-event.payloads.js';
import { CustomerFeaturesWriter, entitlementLookupKey } from '../../state/customer-features.writer.js';
import { idOf, listOf, objectOf, StripePayload } from '../../state/stripe-payload.js';
import { InjectStripeClient } from '../../stripe/stripe-client.decorator.js';
import { inRefreshLane } from '../../stripe/stripe-request-lane.js';
import { WebhookEventHandler } from './webhook-event-handler.js';

/** What `entitlements.active_entitlement_summary.updated` says, read from its payload (JSON-safe). */
export interface EntitlementSummaryFacts {
  customerId: string;
  livemode: boolean;
  /** Lookup keys of the entitlements in the payload: all of them unless `hasMore`. */
  lookupKeys: string[];
  /** The payload holds only the first page (ten entitlements): the rest must be listed. */
  hasMore: boolean;
  /** Unix seconds: the event's `created`. */
  created: number;
}

/** Stripe's largest page. */
const PAGE_SIZE = 100;

/**
 * `entitlements.active_entitlement_summary.updated`: the lookup keys of a customer's active
 * entitlements (Stripe's features), with `featuresFrom` `'stripe'` or `'both'`. The payload holds
 * the first ten; with more, the whole list is read from Stripe before the transaction. Ordered by
 * customer: an older summary never overwrites a newer one.
 */
@Injectable()
export class EntitlementSummaryHandler implements WebhookEventHandler<EntitlementSummaryFacts, EntitlementSummaryFacts> {
  readonly eventTypes = ['entitlements.active_entitlement_summary.updated'] as const;

  constructor(
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly options: ResolvedEntitlementOptions,
    @InjectStripeClient() private readonly stripe: Stripe,
    private readonly writer: CustomerFeaturesWriter,
  ) {}

  read(event: Stripe.Event): EntitlementSummaryFacts | null {
    if (!this.options.catalog.readsStripeFeatures) return null;
    const summary = objectOf(event.data.object) as StripePayload | null;
    const customerId = idOf(summary?.customer);
    if (!summary || !customerId) return null;
    // A list object (`{ data, has_more }`), or a bare array of entitlements.
    const entitlements = Array.isArray(summary.entitlements) ? (summary.entitlements as unknown[]) : listOf(summary.entitlements);
    const lookupKeys = entitlements.map(entitlementLookupKey).filter((key): key is string => key !== null);
    return {
      customerId,
      livemode: typeof summary.livemode === 'boolean' ? summary.livemode : event.livemode === true,
      lookupKeys,
      hasMore: objectOf(summary.entitlements)?.has_more === true,
      created: event.created,
    };
  }

  subscriptionIdOf(facts: EntitlementSummaryFacts): string {
    return facts.customerId;
  }

  async prepare(facts: EntitlementSummaryFacts): Promise<EntitlementSummaryFacts> {
    if (!facts.hasMore) return facts;
    // Access waits on the customer's features: the refresh lane, as a webhook's refetch.
    const lookupKeys = await inRefreshLane(async () => {
      const keys: string[] = [];
      try {
        for await (const entitlement of this.stripe.entitlements.activeEntitlements.list({ customer: facts.customerId, limit: PAGE_SIZE })) {
          const key = entitlementLookupKey(entitlement);
          if (key) keys.push(key);
        }
      } catch (error) {
        // The customer has been deleted since: no entitlements are left. Anything else: Stripe retries the event.
        if ((error as { statusCode?: number }).statusCode !== 404) throw error;
        return [];
      }
      return keys;
    });
    // Still dated by the event: the list may be newer, but a later change has a later summary event of its own.
    return { ...facts, lookupKeys, hasMore: false };
  }

  async apply(manager: EntityManager, facts: EntitlementSummaryFacts, stripeEvent: StripeEventRef): Promise<PendingDomainEvent[]> {
    const { customerId, livemode, lookupKeys, created } = facts;
    return this.writer.write(manager, { customerId, livemode, lookupKeys, eventCreated: created }, stripeEvent);
  }
}
