/**
 * Names of the domain events the module emits through `EventEmitter2` after each transaction
 * commits. Listen with `@OnEvent(LitestripeEvents.SubscriptionActivated)` or a wildcard such as
 * `'litestripe.subscription.*'` (with `EventEmitterModule.forRoot({ wildcard: true })`).
 */
export const LitestripeEvents = {
  /** A subscription was seen for the first time. */
  SubscriptionCreated: 'litestripe.subscription.created',
  /** Any stored field of a known subscription changed. */
  SubscriptionUpdated: 'litestripe.subscription.updated',
  /** The account gained entitlement (status became `active`/`trialing` with an account linked, or a relink moved such a subscription to it). */
  SubscriptionActivated: 'litestripe.subscription.activated',
  /** The account lost entitlement (for a relink: the previous account, named by `previousAccountRef`). */
  SubscriptionDeactivated: 'litestripe.subscription.deactivated',
  /** A cancellation was scheduled (`cancel_at_period_end` or `cancel_at` set); access continues until it takes effect. */
  SubscriptionCanceled: 'litestripe.subscription.canceled',
  /** The subscription ended (status `canceled`, Stripe's `customer.subscription.deleted`). */
  SubscriptionDeleted: 'litestripe.subscription.deleted',
  /** Status became `paused` (a trial ended without a payment method). */
  SubscriptionPaused: 'litestripe.subscription.paused',
  /** Status left `paused`. */
  SubscriptionResumed: 'litestripe.subscription.resumed',
  /** Stripe's three-day warning before a trial ends (`customer.subscription.trial_will_end`). */
  SubscriptionTrialWillEnd: 'litestripe.subscription.trial_will_end',
  /**
   * An event named another account than the one the subscription is linked to; the link did not
   * move (the first link wins). Relink on purpose if the new account is right.
   */
  SubscriptionLinkConflict: 'litestripe.subscription.link_conflict',
  /** A subscription-mode Checkout Session completed. */
  CheckoutCompleted: 'litestripe.checkout.completed',
  /** An invoice of a subscription was paid (once per invoice, however many Stripe events say so). */
  PaymentSucceeded: 'litestripe.payment.succeeded',
  /** An invoice payment of a subscription failed. */
  PaymentFailed: 'litestripe.payment.failed',
  /** A paid checkout matched no account: an `OrphanedPayment` was recorded for support. */
  PaymentOrphaned: 'litestripe.payment.orphaned',
  /** Support linked an `OrphanedPayment` to an account (`BillingService.claimOrphanedPayment`). */
  OrphanClaimed: 'litestripe.payment.orphan_claimed',
  /** A guest's subscription was linked to an account (by the guest's token while signed in, or by a verified email): the guest's `OrphanClaimed`. */
  GuestLinked: 'litestripe.guest.linked',
  /** A one-time purchase (a lifetime plan, a credit pack) was paid: what it grants is the account's now. */
  PurchaseCompleted: 'litestripe.purchase.completed',
  /** A delayed payment method of a one-time purchase failed: nothing is granted. */
  PurchaseFailed: 'litestripe.purchase.failed',
  /** A refund or a lost dispute took back (part of) what a purchase granted. */
  PurchaseRevoked: 'litestripe.purchase.revoked',
  /** The features of a customer's Stripe Entitlements changed (`featuresFrom` `'stripe'` or `'both'`). */
  StripeFeaturesUpdated: 'litestripe.features.updated',
} as const;

export type LitestripeEventName = (typeof LitestripeEvents)[keyof typeof LitestripeEvents];
