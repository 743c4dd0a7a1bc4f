import type Stripe from 'stripe';
import type { FakeStripeContext } from '../fake-stripe.context.js';
import { stripeId } from '../ids.js';
import { buildSubscriptionItem } from '../objects/subscription-item.object.js';
import { buildSubscription } from '../objects/subscription.object.js';
import { periodEndAfter } from './billing-period.js';
import { trackEntitlements } from './entitlements.js';
import { draftSubscriptionInvoice, settleInvoice } from './invoicing.js';
import { setCancelAtPeriodEnd } from './subscription-change.js';
import { notifyTrialWillEnd } from './trial-notice.js';

export interface NewSubscriptionItem {
  price: Stripe.Price;
  /** Licensed prices only (default 1); items of metered prices carry none. */
  quantity?: number;
  metadata?: Record<string, string>;
}

export interface NewSubscription {
  customer: Stripe.Customer;
  items: NewSubscriptionItem[];
  metadata?: Record<string, string>;
  description?: string | null;
  /** Absolute unix seconds; a trial makes the subscription `trialing` and its first invoice zero. */
  trialEnd?: number | null;
  cancelAtPeriodEnd?: boolean;
  /** Unix seconds, or the end of the first period. */
  cancelAt?: number | 'period_end' | null;
  defaultPaymentMethod?: string | null;
  /** The first payment is declined: the subscription starts `incomplete`. */
  paymentFails?: boolean;
}

/** What Stripe does on `POST /v1/subscriptions` or a paid checkout: subscription, first invoice, events (entitlements last). */
export function createSubscription(ctx: FakeStripeContext, input: NewSubscription, request: Stripe.Event.Request): Stripe.Subscription {
  const now = ctx.clock.now();
  const trialing = input.trialEnd != null && input.trialEnd > now;
  const periodEnd = trialing ? (input.trialEnd as number) : periodEndAfter(now, input.items[0].price);
  const id = stripeId('sub');
  const items = input.items.map((item) =>
    buildSubscriptionItem({ subscription: id, price: item.price, quantity: item.quantity, metadata: item.metadata, created: now, periodStart: now, periodEnd }),
  );
  const subscription = buildSubscription({
    id,
    customer: input.customer.id,
    items,
    status: trialing ? 'trialing' : input.paymentFails ? 'incomplete' : 'active',
    currency: input.items[0].price.currency,
    created: now,
    billingCycleAnchor: trialing ? periodEnd : now,
    metadata: input.metadata,
    description: input.description,
    trialStart: trialing ? now : null,
    trialEnd: trialing ? periodEnd : null,
    defaultPaymentMethod: input.defaultPaymentMethod,
  });
  if (input.cancelAtPeriodEnd) setCancelAtPeriodEnd(subscription, true, now);
  if (input.cancelAt != null) {
    subscription.cancel_at = input.cancelAt === 'period_end' ? periodEnd : input.cancelAt;
    subscription.canceled_at = now;
  }
  const invoice = draftSubscriptionInvoice(ctx, subscription, {
    billingReason: 'subscription_create',
    trial: trialing,
    lineItemPeriod: { start: now, end: periodEnd },
  });
  return trackEntitlements(ctx, [input.customer.id], () => {
    ctx.store.subscriptions.add(subscription);
    ctx.events.record('customer.subscription.created', subscription, request);
    settleInvoice(ctx, invoice, !trialing && input.paymentFails ? 'payment_failed' : 'paid', request);
    notifyTrialWillEnd(ctx, subscription);
    return subscription;
  });
}
