import type Stripe from 'stripe';
import { AUTOMATIC } from '../event-recorder.js';
import type { FakeStripeContext } from '../fake-stripe.context.js';
import { stripeId } from '../ids.js';
import { buildCustomer } from '../objects/customer.object.js';
import { buildSubscriptionItem } from '../objects/subscription-item.object.js';
import { buildSubscription } from '../objects/subscription.object.js';
import { periodEndAfter, SECONDS_PER_DAY } from './billing-period.js';

export interface SeedSubscriptionsOptions {
  /** Price id or lookup key; defaults to a seeded 20.00 USD monthly price. */
  price?: string;
  status?: Stripe.Subscription.Status | ((index: number) => Stripe.Subscription.Status);
  metadata?: (index: number) => Record<string, string>;
  email?: (index: number) => string;
  quantity?: number;
  /** `created` of the first subscription; the rest follow `spacingSeconds` apart. Default: ends at now. */
  createdFrom?: number;
  spacingSeconds?: number;
  /** Also record `customer.created` and `customer.subscription.created` (off: seeding is meant to be cheap). */
  recordEvents?: boolean;
}

export interface SeededSubscription {
  id: string;
  customer: string;
  status: Stripe.Subscription.Status;
}

/** Writes customers and subscriptions straight into the store, without invoices or HTTP. */
export function seedSubscriptions(ctx: FakeStripeContext, count: number, price: Stripe.Price, options: SeedSubscriptionsOptions): SeededSubscription[] {
  const spacing = options.spacingSeconds ?? 1;
  const now = ctx.clock.now();
  const first = options.createdFrom ?? now - (count - 1) * spacing;
  const seeded: SeededSubscription[] = [];
  for (let index = 0; index < count; index++) {
    const created = first + index * spacing;
    const status = typeof options.status === 'function' ? options.status(index) : (options.status ?? 'active');
    const customer = ctx.store.customers.add(
      buildCustomer({ email: options.email?.(index) ?? `seed-${index}@example.com`, created }),
    );
    const subscription = seededSubscription(customer.id, price, status, created, index, options);
    ctx.store.subscriptions.add(subscription);
    if (options.recordEvents) {
      ctx.events.record('customer.created', customer, AUTOMATIC);
      ctx.events.record('customer.subscription.created', subscription, AUTOMATIC);
    }
    seeded.push({ id: subscription.id, customer: customer.id, status });
  }
  return seeded;
}

function seededSubscription(
  customer: string,
  price: Stripe.Price,
  status: Stripe.Subscription.Status,
  created: number,
  index: number,
  options: SeedSubscriptionsOptions,
): Stripe.Subscription {
  const id = stripeId('sub');
  const trialing = status === 'trialing';
  const periodEnd = trialing ? created + 14 * SECONDS_PER_DAY : periodEndAfter(created, price);
  const item = buildSubscriptionItem({ subscription: id, price, quantity: options.quantity ?? 1, created, periodStart: created, periodEnd });
  const subscription = buildSubscription({
    id,
    customer,
    items: [item],
    status,
    currency: price.currency,
    created,
    billingCycleAnchor: trialing ? periodEnd : created,
    metadata: options.metadata?.(index),
    trialStart: trialing ? created : null,
    trialEnd: trialing ? periodEnd : null,
  });
  if (status === 'canceled' || status === 'incomplete_expired') {
    subscription.canceled_at = created;
    subscription.ended_at = created;
  }
  return subscription;
}
