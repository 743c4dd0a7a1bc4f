import { BadRequestException, Injectable } from '@nestjs/common';
import type Stripe from 'stripe';
import type { OrphanedPayment } from '../entities/orphaned-payment.entity.js';
import type { StripeSubscription } from '../entities/stripe-subscription.entity.js';
import { OrphanEmailRetention } from '../retention/orphan-email.retention.js';
import { AccountLinks, Relink } from './account-links.js';
import { BillingPortalSessionOptions, CheckoutActions, CheckoutSessionRequest, CheckoutSync, GuestCheckoutSessionRequest, GuestPortalSessionOptions } from './checkout-actions.js';
import type { Guest } from '../entities/guest.entity.js';
import { GuestRecords } from '../guests/guest.records.js';
import { IssuedGuestToken, GuestTokens } from '../guests/guest-tokens.js';
import { GuestEmailLink, GuestLink, GuestLinks, VerifiedEmail } from './guest-links.js';
import { OrphanClaim, OrphanClaims } from './orphan-claims.js';
import { Proration, SubscriptionActions } from './subscription-actions.js';
import { PurchaseActions, PurchaseSessionRequest } from './purchase-actions.js';
import type { OneTimePurchase } from '../entities/one-time-purchase.entity.js';
import { checkedAccountReference, SubscriptionTarget } from './subscription-target.js';
import type { BillingSubject } from './billing-subject.js';
import { InvoiceActions, InvoiceListOptions, InvoicePage, PlanChangePreviewOptions } from './invoice-actions.js';
import type { PlanChangePreview } from './plan-change-preview.js';

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
    private readonly invoices: InvoiceActions,
    private readonly guestTokens: GuestTokens,
    private readonly guestRecords: GuestRecords,
    private readonly guestLinks: GuestLinks,
  ) {}

  /** A Checkout Session for the account (redirect to its `url`); reuses the account's Stripe customer. */
  createCheckoutSession(request: CheckoutSessionRequest): Promise<Stripe.Checkout.Session> {
    return this.checkouts.createCheckoutSession(request);
  }

  /** For the success page (`?session_id={CHECKOUT_SESSION_ID}`): the subscription is local once this returns. */
  syncCheckoutSession(sessionId: string, options: { accountRef?: string } = {}): Promise<CheckoutSync> {
    return this.checkouts.syncCheckoutSession(sessionId, options);
  }

  /**
   * A Checkout Session for a visitor without an account (redirect to its `url`). Its success page's
   * `syncCheckoutSession(sessionId)` returns the guest's access token, once: show it or send it as a
   * link. Not a billing action of anyone: rate-limit the route that calls it.
   */
  createGuestCheckoutSession(request: GuestCheckoutSessionRequest): Promise<Stripe.Checkout.Session> {
    return this.checkouts.createGuestCheckoutSession(request);
  }

  /** The billing portal of a guest, by its access token (redirect to its `url`). Counts as the guest's billing action; give `clientKey` to count a bad token against `guests.tokenAttempts`. */
  createGuestBillingPortalSession(guestToken: string, returnUrl: string, options?: GuestPortalSessionOptions): Promise<Stripe.BillingPortal.Session> {
    return this.checkouts.createGuestBillingPortalSession(guestToken, returnUrl, options);
  }

  /**
   * A new access token for a guest, every earlier one revoked: how support recovers a lost token,
   * once it has checked the guest's email itself (`findGuests`). Shown once; stored only hashed.
   * `expiresInDays` overrides `guests.tokenTtlDays` (null: until revoked).
   */
  reissueGuestToken(guestId: string, options?: { expiresInDays?: number | null }): Promise<IssuedGuestToken> {
    return this.guestTokens.reissue(guestId, options);
  }

  /** Revokes every access token of a guest; returns how many were not revoked yet. */
  revokeGuestTokens(guestId: string): Promise<number> {
    return this.guestTokens.revokeAll(guestId);
  }

  /** Guests of the module's mode that paid with `email` (case aside), newest first: for support, after checking the person owns it. */
  findGuests({ email }: { email: string }): Promise<Guest[]> {
    if (typeof email !== 'string' || email === '') throw new BadRequestException('findGuests needs { email }.');
    return this.guestRecords.byEmails([email]);
  }

  /**
   * Links the guest whose token a signed-in visitor presents to their account, through the orphan
   * claim's path: checked by `validateClientReference` (source `guest_link`), `deactivated` for the
   * guest, `activated` for the account and `litestripe.guest.linked`. The token stops working.
   * Linking again to the same account changes nothing; to another, 409. Give `clientKey` (e.g. the
   * request's IP) to count a bad token against `guests.tokenAttempts`.
   */
  linkGuest(guestToken: string, accountRef: string, options: { clientKey?: string } = {}): Promise<GuestLink> {
    return this.guestLinks.linkByToken(guestToken, accountRef, options.clientKey ?? null);
  }

  /**
   * Links a guest purchase to an account by the guest's id, as support does from the admin page
   * (`via: 'operator'` in `litestripe.guest.linked`); otherwise as `linkGuest`.
   */
  linkGuestById(guestId: string, accountRef: string): Promise<GuestLink> {
    return this.guestLinks.linkById(guestId, accountRef);
  }

  /**
   * The seed's `backfill_user_links`: links every unlinked guest that paid with one of these emails
   * to its account, each as `linkGuest` does. Give only emails your app has verified. Also the CLI's
   * `sync guests link <file>`.
   */
  linkGuestsByEmail(verified: readonly VerifiedEmail[]): Promise<GuestEmailLink[]> {
    return this.guestLinks.linkByEmails(verified);
  }

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

  /** A Stripe customer portal session for the account (redirect to its `url`). */
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

  /**
   * The subject's invoices from Stripe, newest first, for a billing-history page: number, status,
   * amounts, period, and Stripe's hosted page and PDF. Drafts are left out (they may still change
   * and have neither number nor hosted page). A subject without a Stripe customer (no checkout yet)
   * gets an empty page. Nothing about invoices is stored: each page is read through the
   * rate-limited client and kept in memory for `INVOICE_LIST_CACHE_TTL_MS` (30 s), so a new invoice
   * may show up that much later. A read: it does not count against `billingActionLimit`.
   *
   * @param subject An account reference, `{ account }` or `{ guestToken }`.
   * @param options `limit` 1 to 100 (default 10); `startingAfter`, the last invoice id of the
   *   previous page. A bad value is a 400.
   * @example
   * const { invoices, hasMore } = await billing.listInvoices(user.id, { limit: 20 });
   * const next = hasMore ? await billing.listInvoices(user.id, { limit: 20, startingAfter: invoices.at(-1)!.id }) : null;
   */
  listInvoices(subject: BillingSubject, options?: InvoiceListOptions): Promise<InvoicePage> {
    return this.invoices.list(subject, options);
  }

  /**
   * What `changePlan(target, plan, options)` would bill if made now, from Stripe's invoice preview
   * (`invoices.createPreview`, prorated at the module clock's time): `prorationAmount` (credit for
   * the old price's unused time plus the new price's charge for the time left), the previewed
   * invoice's total and lines. Changes nothing, and as a read does not count against
   * `billingActionLimit`. The plan and price the subscription is on already preview no proration.
   * An unknown plan or price is a 400, an ended subscription a 409.
   *
   * @example
   * const { prorationAmount, currency } = await billing.previewPlanChange(user.id, 'pro');
   */
  previewPlanChange(target: SubscriptionTarget, plan: string, options?: PlanChangePreviewOptions): Promise<PlanChangePreview> {
    return this.invoices.previewPlanChange(target, plan, options);
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
