import type { StripeSubscription } from '../entities/stripe-subscription.entity';
import { grantsAccess } from '../subscriptions/entitlement-status';
import { sameValue } from '../webhook/subscription-row.writer';
import { domainEventId, PendingDomainEvent, StripeEventRef, SubscriptionChangedEvent } from './litestripe-event.payloads';
import { LitestripeEvents } from './litestripe-events';

// Bookkeeping, and payment facts, which have events of their own.
const IGNORED_FIELDS = new Set<keyof StripeSubscription>([
  'updatedAt',
  'createdAt',
  'eventCreated',
  'statusRank',
  'paymentEventCreated',
  'latestInvoiceId',
  'latestPaymentStatus',
  'latestPaymentAt',
]);

/**
 * The `litestripe.subscription.*` events that a change of a row amounts to. Derived from the
 * states, not from the Stripe event type, so a late or repeated event that changes nothing emits nothing.
 */
export function subscriptionTransitions(previous: StripeSubscription | null, current: StripeSubscription, stripeEvent: StripeEventRef): PendingDomainEvent[] {
  if (current.status === null) return []; // only checkout or invoice facts so far
  const previousStatus = previous?.status ?? null;
  const names: string[] = [];

  if (previousStatus === null) names.push(LitestripeEvents.SubscriptionCreated);
  else if (hasChanged(previous, current)) names.push(LitestripeEvents.SubscriptionUpdated);

  const hadAccess = grantsAccess(previous);
  const hasAccess = grantsAccess(current);
  if (!hadAccess && hasAccess) names.push(LitestripeEvents.SubscriptionActivated);
  if (hadAccess && !hasAccess) names.push(LitestripeEvents.SubscriptionDeactivated);

  if (!cancellationScheduled(previous) && cancellationScheduled(current)) names.push(LitestripeEvents.SubscriptionCanceled);
  if (previousStatus !== 'canceled' && current.status === 'canceled') names.push(LitestripeEvents.SubscriptionDeleted);
  if (previousStatus !== 'paused' && current.status === 'paused') names.push(LitestripeEvents.SubscriptionPaused);
  if (previousStatus === 'paused' && current.status !== 'paused') names.push(LitestripeEvents.SubscriptionResumed);

  return names.map((name) => subscriptionEvent(name, current, previousStatus, stripeEvent));
}

export function subscriptionEvent(name: string, subscription: StripeSubscription, previousStatus: StripeSubscription['status'], stripeEvent: StripeEventRef): PendingDomainEvent {
  return { name, payload: new SubscriptionChangedEvent(domainEventId(stripeEvent, name), subscription, previousStatus, stripeEvent) };
}

function cancellationScheduled(row: StripeSubscription | null): boolean {
  return !!row && row.status !== 'canceled' && row.status !== 'incomplete_expired' && (row.cancelAtPeriodEnd || row.cancelAt !== null);
}

/** Whether anything but bookkeeping and payment facts differs between two states of a row. */
function hasChanged(previous: StripeSubscription | null, current: StripeSubscription): boolean {
  if (!previous) return true;
  return (Object.keys(current) as (keyof StripeSubscription)[]).some((key) => !IGNORED_FIELDS.has(key) && !sameValue(previous[key], current[key]));
}
