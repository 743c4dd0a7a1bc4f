import type { StripeSubscription } from '../entities/stripe-subscription.entity.js';

/** What the read path knows of an account, in the module's mode: what the entitlement cache keeps. */
export interface AccountRecords {
  subscriptions: StripeSubscription[];
  /** Plans held for good: paid one-time purchases not taken back. */
  lifetimePlans: string[];
  /** Lookup keys of Stripe's active entitlements of the account's customers (read with `featuresFrom` `'stripe'` or `'both'`). */
  stripeFeatures: string[];
}

/** Records of an account that has only subscriptions. */
export function recordsOf(subscriptions: StripeSubscription[]): AccountRecords {
  return { subscriptions, lifetimePlans: [], stripeFeatures: [] };
}
