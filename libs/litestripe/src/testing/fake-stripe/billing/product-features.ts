import type Stripe from 'stripe';
import { invalidRequest, resourceMissing } from '../api-error.js';
import { Collection } from '../collection.js';
import type { FakeStripeContext } from '../fake-stripe.context.js';
import { buildProductFeature } from '../objects/entitlement.object.js';
import { productIdOf } from '../objects/price.object.js';
import { isEntitling, trackEntitlements } from './entitlements.js';

/** The features attached to a product (an empty collection, not stored, for a product without any). */
export function featuresOf(ctx: FakeStripeContext, productId: string): Collection<Stripe.ProductFeature> {
  return ctx.store.productFeatures.get(productId) ?? new Collection<Stripe.ProductFeature>('product_feature');
}

/** Attaches a feature to a product; the product's subscribers gain it (summary events for them). */
export function attachFeature(ctx: FakeStripeContext, productId: string, feature: Stripe.Entitlements.Feature): Stripe.ProductFeature {
  const attached = featuresOf(ctx, productId);
  if (attached.find((productFeature) => productFeature.entitlement_feature.id === feature.id)) {
    throw invalidRequest(`The feature ${feature.id} is already attached to the product ${productId}.`, 'entitlement_feature');
  }
  return trackEntitlements(ctx, subscribersOf(ctx, productId), () => {
    ctx.store.productFeatures.set(productId, attached);
    return attached.add(buildProductFeature(feature));
  });
}

/** Removes a feature from a product; its subscribers lose it unless another product grants it. */
export function detachFeature(ctx: FakeStripeContext, productId: string, productFeatureId: string): Stripe.ProductFeature {
  const attached = featuresOf(ctx, productId);
  if (!attached.has(productFeatureId)) throw resourceMissing('product_feature', productFeatureId);
  return trackEntitlements(ctx, subscribersOf(ctx, productId), () => attached.remove(productFeatureId) as Stripe.ProductFeature);
}

function subscribersOf(ctx: FakeStripeContext, productId: string): string[] {
  return ctx.store.subscriptions
    .values()
    .filter((subscription) => isEntitling(subscription) && subscription.items.data.some((item) => productIdOf(item.price) === productId))
    .map((subscription) => subscription.customer as string);
}
