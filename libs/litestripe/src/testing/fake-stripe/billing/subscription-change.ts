import type Stripe from 'stripe';
import type { FakeStripeContext } from '../fake-stripe.context.js';
import { trackEntitlements } from './entitlements.js';
import { previousAttributes } from './previous-attributes.js';

/**
 * Applies `mutate` to a stored subscription and records what Stripe would emit:
 * `customer.subscription.deleted` when it ends, otherwise `.updated` with `previous_attributes`,
 * plus `.paused` / `.resumed` when the status enters or leaves `paused`, then the customer's
 * entitlement summary if the change moved it.
 */
export function changeSubscription(
  ctx: FakeStripeContext,
  subscription: Stripe.Subscription,
  request: Stripe.Event.Request,
  mutate: (subscription: Stripe.Subscription) => void,
): Stripe.Subscription {
  return trackEntitlements(ctx, [subscription.customer as string], () => recordChange(ctx, subscription, request, mutate));
}

function recordChange(
  ctx: FakeStripeContext,
  subscription: Stripe.Subscription,
  request: Stripe.Event.Request,
  mutate: (subscription: Stripe.Subscription) => void,
): Stripe.Subscription {
  const before = structuredClone(subscription);
  mutate(subscription);
  if (subscription.status === 'canceled' && before.status !== 'canceled') {
    ctx.events.record('customer.subscription.deleted', subscription, request);
    return subscription;
  }
  const previous = previousAttributes(before, subscription);
  if (Object.keys(previous).length === 0) return subscription;
  ctx.events.record('customer.subscription.updated', subscription, request, previous);
  if (subscription.status === 'paused' && before.status !== 'paused') {
    ctx.events.record('customer.subscription.paused', subscription, request);
  } else if (before.status === 'paused' && subscription.status !== 'paused') {
    ctx.events.record('customer.subscription.resumed', subscription, request);
  }
  return subscription;
}

/** Sets every item's billing period (they share one in this fake). */
export function setPeriod(subscription: Stripe.Subscription, start: number, end: number): void {
  subscription.items.data = subscription.items.data.map((item) => ({ ...item, current_period_start: start, current_period_end: end }));
}

export function currentPeriodEnd(subscription: Stripe.Subscription): number {
  return Math.min(...subscription.items.data.map((item) => item.current_period_end));
}

export function currentPeriodStart(subscription: Stripe.Subscription): number {
  return Math.min(...subscription.items.data.map((item) => item.current_period_start));
}

/** Schedules (or unschedules) the end of the subscription at its current period end. */
export function setCancelAtPeriodEnd(subscription: Stripe.Subscription, cancel: boolean, now: number): void {
  subscription.cancel_at_period_end = cancel;
  subscription.cancel_at = cancel ? currentPeriodEnd(subscription) : null;
  subscription.canceled_at = cancel ? now : null;
  subscription.cancellation_details = {
    ...(subscription.cancellation_details ?? { comment: null, feedback: null, feedback_option: null }),
    reason: cancel ? 'cancellation_requested' : null,
  } as Stripe.Subscription.CancellationDetails;
}
