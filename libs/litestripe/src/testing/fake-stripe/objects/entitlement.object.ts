import type Stripe from 'stripe';
import { stripeId, testModeId } from '../ids.js';

export interface FeatureInput {
  name: string;
  lookupKey: string;
  metadata?: Record<string, string>;
}

export function buildFeature(input: FeatureInput): Stripe.Entitlements.Feature {
  return {
    id: testModeId('feat'),
    object: 'entitlements.feature',
    active: true,
    livemode: false,
    lookup_key: input.lookupKey,
    metadata: input.metadata ?? {},
    name: input.name,
  };
}

/** A feature attached to a product; it embeds the whole feature. */
export function buildProductFeature(feature: Stripe.Entitlements.Feature): Stripe.ProductFeature {
  return { id: stripeId('prodft'), object: 'product_feature', entitlement_feature: feature, livemode: false };
}

export function buildDeletedProductFeature(id: string): Stripe.DeletedProductFeature {
  return { id, object: 'product_feature', deleted: true };
}

export function buildActiveEntitlement(id: string, feature: Stripe.Entitlements.Feature): Stripe.Entitlements.ActiveEntitlement {
  return { id, object: 'entitlements.active_entitlement', feature: feature.id, livemode: false, lookup_key: feature.lookup_key };
}

/** The object of `entitlements.active_entitlement_summary.updated`: the first page of the customer's entitlements. */
export function buildActiveEntitlementSummary(
  customer: string,
  page: { data: Stripe.Entitlements.ActiveEntitlement[]; hasMore: boolean },
): Stripe.Entitlements.ActiveEntitlementSummary {
  return {
    object: 'entitlements.active_entitlement_summary',
    customer,
    entitlements: { object: 'list', data: page.data, has_more: page.hasMore, url: `/v1/customer/${customer}/entitlements` },
    livemode: false,
  };
}
