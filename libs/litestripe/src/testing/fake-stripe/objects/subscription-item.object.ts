import type Stripe from 'stripe';
import { stripeId } from '../ids.js';
import { planFromPrice } from './price.object.js';

export interface SubscriptionItemInput {
  subscription: string;
  price: Stripe.Price;
  quantity: number;
  metadata?: Record<string, string>;
  created: number;
  periodStart: number;
  periodEnd: number;
}

/** Since the 2025 API versions the billing period lives on each item, not on the subscription. */
export function buildSubscriptionItem(input: SubscriptionItemInput): Stripe.SubscriptionItem {
  return {
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
    quantity: input.quantity,
    subscription: input.subscription,
    tax_rates: [],
  };
}

export function withPrice(item: Stripe.SubscriptionItem, price: Stripe.Price): Stripe.SubscriptionItem {
  return { ...item, price: structuredClone(price), plan: planFromPrice(price) };
}
