import type Stripe from 'stripe';
import { stripeId } from '../ids.js';
import { isMetered, planFromPrice } from './price.object.js';

export interface SubscriptionItemInput {
  subscription: string;
  price: Stripe.Price;
  /** Ignored for metered prices, whose items carry no quantity (the meter's usage is billed instead). */
  quantity?: number;
  metadata?: Record<string, string>;
  created: number;
  periodStart: number;
  periodEnd: number;
}

/** Since the 2025 API versions the billing period lives on each item, not on the subscription. */
export function buildSubscriptionItem(input: SubscriptionItemInput): Stripe.SubscriptionItem {
  const item: Stripe.SubscriptionItem = {
    id: stripeId('si'),
    object: 'subscription_item',
    billing_thresholds: null,
    created: input.created,
    current_period_end: input.periodEnd,
    current_period_start: input.periodStart,
    current_trial: null,
    discounts: [],
    metadata: input.metadata ?? {},
    plan: planFromPrice(input.price),
    price: structuredClone(input.price),
    quantity: input.quantity ?? 1,
    subscription: input.subscription,
    tax_rates: [],
  };
  return withQuantityRule(item);
}

/**
 * A new price on an item; its quantity stays (licensed to licensed), becomes 1 (metered to
 * licensed) or goes away (to metered).
 */
export function withPrice(item: Stripe.SubscriptionItem, price: Stripe.Price): Stripe.SubscriptionItem {
  return withQuantityRule({ ...item, price: structuredClone(price), plan: planFromPrice(price), quantity: item.quantity ?? 1 });
}

/** Stripe omits `quantity` on items of metered prices. */
function withQuantityRule(item: Stripe.SubscriptionItem): Stripe.SubscriptionItem {
  if (!isMetered(item.price)) return item;
  const metered = { ...item };
  delete metered.quantity;
  return metered;
}
