import type { StripeSubscription } from '../entities/stripe-subscription.entity.js';
import { grantsAccess } from '../access/entitlement-status.js';
import { sameValue } from '../common/same-value.js';
import { domainEventId, PendingDomainEvent, StripeEventRef, SubscriptionChangedEvent, SubscriptionChangedEventName, SubscriptionLinkConflictEvent } from './litestripe-event.payloads.js';
import { LitestripeEvents } from './litestripe-events.js';

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
  'linkPendingRef',
  'linkPendingAt',
]);

/**
 * The `litestripe.subscription.*` events that a change of a row amounts to. Derived from the
 * states, not from the Stripe event type, so a late or repeated event that changes nothing emits nothing.
 */
export function subscriptionTransitions(previous: StripeSubscription | null, current: StripeSubscription, stripeEvent: StripeEventRef): PendingDomainEvent[] {
  if (current.status === null) return []; // only checkout or invoice facts so far
  const previousStatus = previous?.status ?? null;
  const names: SubscriptionChangedEventName[] = [];

  if (previousStatus === null) names.push(LitestripeEvents.SubscriptionCreated);
  else if (hasChanged(previous, current)) names.push(LitestripeEvents.SubscriptionUpdated);

  const hadAccess = grantsAccess(previous);
  const hasAccess = grantsAccess(current);
  // A relink moves access from one account to another: the old one loses it, the new one gains it.
  const moved = !!previous && previous.accountRef !== current.accountRef;
  if (hadAccess && (!hasAccess || moved)) names.push(LitestripeEvents.SubscriptionDeactivated);
  if (hasAccess && (!hadAccess || moved)) names.push(LitestripeEvents.SubscriptionActivated);

  if (!cancellationScheduled(previous) && cancellationScheduled(current)) names.push(LitestripeEvents.SubscriptionCanceled);
  if (previousStatus !== 'canceled' && current.status === 'canceled') names.push(LitestripeEvents.SubscriptionDeleted);
  if (previousStatus !== 'paused' && current.status === 'paused') names.push(LitestripeEvents.SubscriptionPaused);
  if (previousStatus === 'paused' && current.status !== 'paused') names.push(LitestripeEvents.SubscriptionResumed);

  const previousAccountRef = moved ? previous?.accountRef : undefined;
  return names.map((name) => subscriptionEvent(name, current, previousStatus, stripeEvent, previousAccountRef));
}

export function subscriptionEvent(
  name: SubscriptionChangedEventName,
  subscription: StripeSubscription,
  previousStatus: StripeSubscription['status'],
  stripeEvent: StripeEventRef,
  previousAccountRef?: string | null,
): PendingDomainEvent {
  return { name, payload: new SubscriptionChangedEvent(name, domainEventId(stripeEvent, name), subscription, previousStatus, stripeEvent, previousAccountRef) };
}

/** `litestripe.subscription.link_conflict`, when `claimed` names another account than the row is linked to; null otherwise. */
export function linkConflictEvent(
  row: StripeSubscription | null,
  claimed: string | null,
  source: SubscriptionLinkConflictEvent['source'],
  checkoutSessionId: string | null,
  stripeEvent: StripeEventRef,
): PendingDomainEvent | null {
  if (!row?.accountRef || !claimed || claimed === row.accountRef) return null;
  const name = LitestripeEvents.SubscriptionLinkConflict;
  return { name, payload: new SubscriptionLinkConflictEvent(domainEventId(stripeEvent, name), row, row.accountRef, claimed, source, checkoutSessionId, stripeEvent) };
}

function cancellationScheduled(row: StripeSubscription | null): boolean {
  return !!row && row.status !== 'canceled' && row.status !== 'incomplete_expired' && (row.cancelAtPeriodEnd || row.cancelAt !== null);
}

/** Whether anything but bookkeeping and payment facts differs between two states of a row. */
function hasChanged(previous: StripeSubscription | null, current: StripeSubscription): boolean {
  if (!previous) return true;
  return (Object.keys(current) as (keyof StripeSubscription)[]).some((key) => !IGNORED_FIELDS.has(key) && !sameValue(previous[key], current[key]));
}
