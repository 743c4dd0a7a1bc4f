import type { OrphanReason } from '../entities/orphaned-payment.entity.js';
import type { StripeSubscription, SubscriptionStatus } from '../entities/stripe-subscription.entity.js';
import { LitestripeEvents } from './litestripe-events.js';

/** The names a {@link SubscriptionChangedEvent} is emitted under: every `litestripe.subscription.*` but `link_conflict`. */
export type SubscriptionChangedEventName = Exclude<
  (typeof LitestripeEvents)[keyof typeof LitestripeEvents] & `litestripe.subscription.${string}`,
  typeof LitestripeEvents.SubscriptionLinkConflict
>;

/** The names a {@link PaymentEvent} is emitted under. */
export type PaymentEventName = typeof LitestripeEvents.PaymentSucceeded | typeof LitestripeEvents.PaymentFailed;

/** The Stripe event behind a domain event. */
export class StripeEventRef {
  constructor(
    readonly id: string,
    readonly type: string,
    /** Unix seconds. */
    readonly created: number,
    readonly livemode: boolean,
    /** Connected account, if the event came from one. */
    readonly account: string | null,
  ) {}
}

/** Payload of every `litestripe.subscription.*` event (but `link_conflict`). */
export class SubscriptionChangedEvent {
  constructor(
    /** The event name it was emitted under (a `LitestripeEvents` value), so a wildcard listener knows what it received. */
    readonly name: SubscriptionChangedEventName,
    /** Stable across redeliveries of this domain event (`<stripe event id>:<event name>`): deduplicate on it. */
    readonly id: string,
    /** The row as committed. */
    readonly subscription: StripeSubscription,
    /** Status before this Stripe event (null when the row is new or had no status yet). */
    readonly previousStatus: SubscriptionStatus | null,
    readonly stripeEvent: StripeEventRef,
    /**
     * Set only when this change moved the account link (an orphan claim or a relink): the account
     * before (null when the subscription had none). `subscription.accountRef` is the account now.
     */
    readonly previousAccountRef?: string | null,
  ) {}
}

/**
 * Payload of `litestripe.subscription.link_conflict`: an event (or an answer from Stripe) names an
 * account other than the one the subscription is linked to. The link did not move; relink on
 * purpose (`BillingService.relinkSubscription`) if the new account is right, or relink to the
 * current one to write it back into the subscription's metadata.
 */
export class SubscriptionLinkConflictEvent {
  /** The event name it was emitted under, so a wildcard listener knows what it received. */
  readonly name = LitestripeEvents.SubscriptionLinkConflict;

  constructor(
    /** Stable across redeliveries of this domain event (`<stripe event id>:<event name>`): deduplicate on it. */
    readonly id: string,
    readonly subscription: StripeSubscription,
    /** The account the subscription stays linked to. */
    readonly accountRef: string,
    /** The account the event named. */
    readonly claimedAccountRef: string,
    /** Where the other account was named: a checkout's `client_reference_id` or the subscription's metadata. */
    readonly source: 'checkout' | 'subscription_metadata',
    readonly checkoutSessionId: string | null,
    readonly stripeEvent: StripeEventRef,
  ) {}
}

/** Payload of `litestripe.checkout.completed`. */
export class CheckoutCompletedEvent {
  /** The event name it was emitted under, so a wildcard listener knows what it received. */
  readonly name = LitestripeEvents.CheckoutCompleted;

  constructor(
    /** Stable across redeliveries of this domain event (`<stripe event id>:<event name>`): deduplicate on it. */
    readonly id: string,
    readonly checkoutSessionId: string,
    /** The row as committed. */
    readonly subscription: StripeSubscription,
    /** The account linked by this checkout, or null when it became an orphan. */
    readonly accountRef: string | null,
    readonly stripeEvent: StripeEventRef,
  ) {}
}

/** Payload of `litestripe.payment.succeeded` and `litestripe.payment.failed`. */
export class PaymentEvent {
  constructor(
    /** The event name it was emitted under (a `LitestripeEvents` value), so a wildcard listener knows what it received. */
    readonly name: PaymentEventName,
    /** Stable across redeliveries of this domain event (`<stripe event id>:<event name>`): deduplicate on it. */
    readonly id: string,
    readonly invoiceId: string,
    readonly subscription: StripeSubscription,
    /** Minor units of `currency`. */
    readonly amount: number | null,
    readonly currency: string | null,
    readonly stripeEvent: StripeEventRef,
  ) {}
}

/** Payload of `litestripe.payment.orphaned`. Load the `OrphanedPayment` by id for the email. */
export class PaymentOrphanedEvent {
  /** The event name it was emitted under, so a wildcard listener knows what it received. */
  readonly name = LitestripeEvents.PaymentOrphaned;

  constructor(
    /** Stable across redeliveries of this domain event (`<stripe event id>:<event name>`): deduplicate on it. */
    readonly id: string,
    readonly orphanedPaymentId: number,
    /** Null when a backfill, not a checkout, found the orphan. */
    readonly checkoutSessionId: string | null,
    readonly subscriptionId: string,
    readonly customerId: string | null,
    readonly reason: OrphanReason,
    readonly stripeEvent: StripeEventRef,
  ) {}
}

/**
 * Payload of `litestripe.payment.orphan_claimed`: an orphaned payment was linked to an account.
 * `stripeEvent` names the API request that wrote the account into the subscription's metadata
 * (`id` is its `req_...` id, `type` is `api.subscription.update`), not a webhook event.
 */
export class OrphanClaimedEvent {
  /** The event name it was emitted under, so a wildcard listener knows what it received. */
  readonly name = LitestripeEvents.OrphanClaimed;

  constructor(
    /** Stable across redeliveries of this domain event: deduplicate on it. */
    readonly id: string,
    readonly orphanedPaymentId: number,
    /** Null when a backfill, not a checkout, found the orphan. */
    readonly checkoutSessionId: string | null,
    readonly subscriptionId: string,
    readonly accountRef: string,
    readonly stripeEvent: StripeEventRef,
  ) {}
}

/** A guest's subscription was linked to an account; `SubscriptionDeactivated` (for `guest:<guestId>`) and `SubscriptionActivated` (for the account) come with it. */
export class GuestLinkedEvent {
  /** The event name it was emitted under, so a wildcard listener knows what it received. */
  readonly name = LitestripeEvents.GuestLinked;

  constructor(
    /** Stable across redeliveries of this domain event: deduplicate on it. */
    readonly id: string,
    readonly guestId: string,
    readonly checkoutSessionId: string,
    readonly subscriptionId: string,
    readonly accountRef: string,
    /** How the link was asked for: the guest's token presented while signed in, a verified email, or an operator's claim (the admin page). */
    readonly via: 'token' | 'email' | 'operator',
    readonly stripeEvent: StripeEventRef,
  ) {}
}

/** What a one-time purchase grants, as its events report it. */
export interface PurchaseGrant {
  /** Plans held for good. */
  lifetimePlans: string[];
  /** Credits by metric. */
  credits: Record<string, number>;
}

/** Payload of `litestripe.purchase.completed` and `litestripe.purchase.failed`. */
export class PurchaseEvent {
  constructor(
    /** The event name it was emitted under, so a wildcard listener knows what it received. */
    readonly name: typeof LitestripeEvents.PurchaseCompleted | typeof LitestripeEvents.PurchaseFailed,
    /** Stable across redeliveries of this domain event: deduplicate on it. */
    readonly id: string,
    /** The PaymentIntent id (the Checkout Session's when no payment was taken). */
    readonly paymentRef: string,
    readonly checkoutSessionId: string | null,
    /** Null when the checkout carried no usable account reference: nothing was granted. */
    readonly accountRef: string | null,
    /** What the purchase grants (for `failed`: what it would have granted). */
    readonly grant: PurchaseGrant,
    readonly amount: number | null,
    readonly currency: string | null,
    readonly stripeEvent: StripeEventRef,
  ) {}
}

/** Why a purchase's grant was taken back. */
export type PurchaseRevocationReason = 'refund' | 'partial_refund' | 'dispute_lost';

/**
 * Payload of `litestripe.purchase.revoked`: a refund or a lost dispute took back what is in `revoked`
 * (this event's part: credits in proportion to a partial refund; everything for a full refund or a
 * lost dispute). Credits already spent stay spent: the balance never goes below zero.
 */
export class PurchaseRevokedEvent {
  /** The event name it was emitted under, so a wildcard listener knows what it received. */
  readonly name = LitestripeEvents.PurchaseRevoked;

  constructor(
    /** Stable across redeliveries of this domain event: deduplicate on it. */
    readonly id: string,
    readonly paymentRef: string,
    readonly accountRef: string | null,
    readonly reason: PurchaseRevocationReason,
    readonly revoked: PurchaseGrant,
    /** What has been refunded so far, in the currency's minor unit. */
    readonly amountRefunded: number,
    readonly currency: string | null,
    readonly stripeEvent: StripeEventRef,
  ) {}
}

/** Payload of `litestripe.features.updated`: Stripe's features of a customer, as now stored. */
export class StripeFeaturesUpdatedEvent {
  /** The event name it was emitted under, so a wildcard listener knows what it received. */
  readonly name = LitestripeEvents.StripeFeaturesUpdated;

  constructor(
    /** Stable across redeliveries of this domain event: deduplicate on it. */
    readonly id: string,
    readonly customerId: string,
    /** The accounts subscribed with this customer. */
    readonly accountRefs: string[],
    /** Lookup keys of the customer's active entitlements. */
    readonly features: string[],
    readonly previousFeatures: string[],
    readonly stripeEvent: StripeEventRef,
  ) {}
}

export type LitestripeEventPayload =
  | SubscriptionChangedEvent
  | SubscriptionLinkConflictEvent
  | CheckoutCompletedEvent
  | PaymentEvent
  | PaymentOrphanedEvent
  | OrphanClaimedEvent
  | GuestLinkedEvent
  | PurchaseEvent
  | PurchaseRevokedEvent
  | StripeFeaturesUpdatedEvent;

/** The id of the domain event `name` caused by a Stripe event: the same however often it is dispatched. */
export function domainEventId(stripeEvent: StripeEventRef, name: string): string {
  return `${stripeEvent.id}:${name}`;
}

/** A domain event waiting to be emitted once its transaction has committed. */
export interface PendingDomainEvent {
  name: string;
  payload: LitestripeEventPayload;
}
