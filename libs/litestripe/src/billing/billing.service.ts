import { BadRequestException, Injectable } from '@nestjs/common';
import type Stripe from 'stripe';
import type { OrphanedPayment } from '../entities/orphaned-payment.entity.js';
import type { StripeSubscription } from '../entities/stripe-subscription.entity.js';
import { OrphanEmailRetention } from '../retention/orphan-email.retention.js';
import { AccountLinks, Relink } from './account-links.js';
import { BillingPortalSessionOptions, CheckoutActions, CheckoutSessionRequest, CheckoutSync } from './checkout-actions.js';
import { OrphanClaim, OrphanClaims } from './orphan-claims.js';
import { Proration, SubscriptionActions } from './subscription-actions.js';
import { PurchaseActions, PurchaseSessionRequest } from './purchase-actions.js';
import type { OneTimePurchase } from '../entities/one-time-purchase.entity.js';
import { checkedAccountReference, SubscriptionTarget } from './subscription-target.js';

/**
 * The Stripe actions a SaaS needs: checkout and its success page, the billing portal, cancel,
 * resume, change plan and seats, and support's fixes (orphan claims, relinks). Each writes Stripe's
 * answer at once, so the next `SubscriptionService` read (on any instance) sees it. Checkout, its
 * sync, the portal, cancel, resume, changePlan and setQuantity count against the account's
 * `billingActionLimit`, and past it throw `BillingActionLimitException` (429) before calling
 * Stripe; support's actions do not count.
 *
 * @example
 * const session = await billing.createCheckoutSession({ accountRef: user.id, plan: 'pro', successUrl, cancelUrl });
 * await billing.cancel({ accountRef: user.id });
 */
@Injectable()
export class BillingService {
  /** @internal Nest constructs it from the module's providers: its dependencies are not part of the API. */
  constructor(
    private readonly actions: SubscriptionActions,
    private readonly checkouts: CheckoutActions,
    private readonly orphans: OrphanClaims,
    private readonly links: AccountLinks,
    private readonly retention: OrphanEmailRetention,
    private readonly purchases: PurchaseActions,
  ) {}

  /** A Checkout Session for the account (redirect to its `url`); reuses the account's Stripe customer. */
  createCheckoutSession(request: CheckoutSessionRequest): Promise<Stripe.Checkout.Session> {
    return this.checkouts.createCheckoutSession(request);
  }

  /** For the success page (`?session_id={CHECKOUT_SESSION_ID}`): the subscription is local once this returns. */
  syncCheckoutSession(sessionId: string, options: { accountRef?: string } = {}): Promise<CheckoutSync> {
    return this.checkouts.syncCheckoutSession(sessionId, options);
  }

  /** A Stripe customer portal session for the account (redirect to its `url`). */
  /**
   * A Checkout Session in `payment` mode for something sold once: a lifetime plan
   * (`{ lifetimePlan: 'pro' }`), a credit pack (`{ creditPack: 'exports_100', quantity: 2 }`) or one
   * of their prices. What the purchase grants is recorded from the webhook (or the success page's
   * `syncCheckoutSession`) once paid. Counts as a billing action of the account.
   */
  createPurchaseSession(request: PurchaseSessionRequest): Promise<Stripe.Checkout.Session> {
    return this.purchases.createPurchaseSession(request);
  }

  /** One-time purchases of the module's mode, newest first: an account's, or (`unlinked`) those whose checkout named no usable account. */
  listPurchases(options?: { accountRef?: string; unlinked?: boolean; limit?: number }): Promise<OneTimePurchase[]> {
    return this.purchases.listPurchases(options);
  }

  /** Support links an unlinked purchase (see `listPurchases({ unlinked: true })`) to an account: what it grants becomes the account's. */
  claimPurchase(paymentRef: string, accountRef: string): Promise<{ purchase: OneTimePurchase; alreadyClaimed: boolean }> {
    return this.purchases.claimPurchase(paymentRef, accountRef);
  }

  createBillingPortalSession(accountRef: string, returnUrl: string, options?: BillingPortalSessionOptions): Promise<Stripe.BillingPortal.Session> {
    return this.checkouts.createBillingPortalSession(accountRef, returnUrl, options);
  }

  /** Cancels at period end (default) or at once. */
  cancel(target: SubscriptionTarget, options?: { atPeriodEnd?: boolean }): Promise<StripeSubscription> {
    return this.actions.cancel(target, options);
  }

  /** Undoes a scheduled cancellation or a collection pause, or resumes a `paused` subscription. */
  resume(target: SubscriptionTarget): Promise<StripeSubscription> {
    return this.actions.resume(target);
  }

  changePlan(target: SubscriptionTarget, plan: string, options?: { proration?: Proration; price?: string }): Promise<StripeSubscription> {
    return this.actions.changePlan(target, plan, options);
  }

  /** Sets the seats of a per-seat subscription. */
  setQuantity(target: SubscriptionTarget, quantity: number, options?: { proration?: Proration }): Promise<StripeSubscription> {
    return this.actions.setQuantity(target, quantity, options);
  }

  /** Open orphans, newest first; `rejectedReference` finds those whose checkout carried that reference (an email too). */
  listOrphanedPayments(options?: { includeResolved?: boolean; limit?: number; rejectedReference?: string }): Promise<OrphanedPayment[]> {
    return this.orphans.list(options);
  }

  claimOrphanedPayment(orphanId: number, accountRef: string): Promise<OrphanClaim> {
    return this.orphans.claim(orphanId, accountRef);
  }

  /**
   * Moves a subscription to another account on purpose, or confirms its current one: the only way,
   * with an orphan claim, that a link moves (a webhook never does; it reports a link conflict).
   * Writes the account into the subscription's Stripe metadata, emits `deactivated` for the old
   * account and `activated` for the new one (when it entitles), links the subscription's customer
   * to the account if it has none, and resolves an open orphan of the subscription.
   */
  async relinkSubscription(subscriptionId: string, accountRef: string): Promise<Relink> {
    if (typeof subscriptionId !== 'string' || !/^sub_[A-Za-z0-9_]+$/.test(subscriptionId)) throw new BadRequestException(`Not a subscription id: ${JSON.stringify(subscriptionId)}.`);
    return this.links.relink(subscriptionId, checkedAccountReference(accountRef));
  }

  /** Erases emails of orphans resolved longer ago than `orphanEmailRetentionDays` (also run hourly). */
  eraseExpiredOrphanEmails(): Promise<number> {
    return this.retention.eraseExpiredEmails();
  }
}
