import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import type Stripe from 'stripe';
import type { OrphanedPayment } from '../entities/orphaned-payment.entity';
import type { StripeSubscription } from '../entities/stripe-subscription.entity';
import { AccountSubscription, accountSubscriptions, Entitlement, summarizeEntitlement } from './account-entitlement';
import { CheckoutActions, CheckoutSessionRequest, CheckoutSync } from './checkout-actions';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from './entitlement-options';
import { EntitlementCache } from './entitlement.cache';
import { OrphanClaim, OrphanClaims } from './orphan-claims';
import { OrphanEmailRetention } from './orphan-email.retention';
import type { PlanSummary } from './plan-catalog';
import { PlanPricing, PlanPricingReader } from './plan-pricing';
import { StaleRowRefresher } from './stale-row.refresher';
import { Proration, SubscriptionActions } from './subscription-actions';
import { checkedAccountReference, SubscriptionTarget } from './subscription-target';
import { AccountLinks, Relink } from './account-links';
import { UnlistedPriceLog } from './unlisted-price.log';

/** What `isEntitled` checks besides an entitling subscription: any of the plans, and all of the features. */
export interface EntitlementRequirement {
  plan?: string | string[];
  feature?: string | string[];
}

/**
 * "May this account use this now?", and the few Stripe actions a SaaS needs. Injectable anywhere
 * the module is imported (guards included). Checkout, its sync, the portal, cancel, resume,
 * changePlan and setQuantity count against the account's `billingActionLimit`, and past it throw
 * `BillingActionLimitException` (429) before calling Stripe; support's actions (orphan claims,
 * relinks) do not count.
 *
 * @example
 * const { entitled, plan, limits } = await subscriptions.getEntitlement(user.id);
 * if (await subscriptions.isEntitled(user.id, { feature: 'export' })) { ... }
 */
@Injectable()
export class SubscriptionService {
  private readonly unlistedPrices = new UnlistedPriceLog();

  constructor(
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly options: ResolvedEntitlementOptions,
    private readonly cache: EntitlementCache,
    private readonly refresher: StaleRowRefresher,
    private readonly actions: SubscriptionActions,
    private readonly checkouts: CheckoutActions,
    private readonly orphans: OrphanClaims,
    private readonly links: AccountLinks,
    private readonly retention: OrphanEmailRetention,
    private readonly pricing: PlanPricingReader,
  ) {}

  /** Whether the account is entitled now, through which subscription and plan, with what features and limits, and why. */
  async getEntitlement(accountRef: string): Promise<Entitlement> {
    const { catalog } = this.options;
    const now = this.options.clock.now();
    return summarizeEntitlement(accountRef, await this.decided(accountRef, now), now, catalog);
  }

  /**
   * The entitlement from cached rows, without waiting: undefined when the cache is off, the account
   * is not cached, or a row is stale and would be refreshed. For hot paths (the guard); otherwise use
   * `getEntitlement`.
   */
  peekEntitlement(accountRef: string): Entitlement | undefined {
    const rows = this.cache.enabled ? this.cache.peek(accountRef) : undefined;
    if (!rows) return undefined;
    const { catalog, policy } = this.options;
    const now = this.options.clock.now();
    const decided = accountSubscriptions(rows, now, policy, catalog);
    if (this.refresher.enabled && decided.some((s) => s.access.reason === 'stale')) return undefined;
    this.unlistedPrices.note(decided);
    return summarizeEntitlement(accountRef, decided, now, catalog);
  }

  /** Throws for a plan or feature that no configured plan has: a typo should not read as "not entitled". */
  async isEntitled(accountRef: string, requirement: EntitlementRequirement = {}): Promise<boolean> {
    const { catalog } = this.options;
    const unknownPlan = list(requirement.plan).find((plan) => !catalog.has(plan));
    if (unknownPlan) throw new Error(`isEntitled: no plan "${unknownPlan}" is configured (plans: ${catalog.idList()}).`);
    const unknownFeature = list(requirement.feature).find((feature) => !catalog.features.has(feature));
    if (unknownFeature) throw new Error(`isEntitled: no configured plan has the feature "${unknownFeature}".`);
    return missingFrom(await this.getEntitlement(accountRef), requirement) === null;
  }

  /** Every subscription of the account in the module's mode, most relevant first, each with its plan and decision. */
  listSubscriptions(accountRef: string): Promise<AccountSubscription[]> {
    return this.decided(accountRef, this.options.clock.now());
  }

  /** The configured plans (price ids of the module's mode). */
  listPlans(): PlanSummary[] {
    return this.options.catalog.summaries();
  }

  /** The configured plans with their Stripe prices (amount, currency, interval), cached for five minutes. */
  getPricing(): Promise<PlanPricing[]> {
    return this.pricing.pricing();
  }

  /** A Checkout Session for the account (redirect to its `url`); reuses the account's Stripe customer. */
  createCheckoutSession(request: CheckoutSessionRequest): Promise<Stripe.Checkout.Session> {
    return this.checkouts.createCheckoutSession(request);
  }

  /** For the success page (`?session_id={CHECKOUT_SESSION_ID}`): the subscription is local once this returns. */
  syncCheckoutSession(sessionId: string, options: { accountRef?: string } = {}): Promise<CheckoutSync> {
    return this.checkouts.syncCheckoutSession(sessionId, options);
  }

  /** A Stripe customer portal session for the account (redirect to its `url`). */
  createBillingPortalSession(accountRef: string, returnUrl: string, options?: Parameters<CheckoutActions['createBillingPortalSession']>[2]): Promise<Stripe.BillingPortal.Session> {
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

  private async decided(accountRef: string, now: Date): Promise<AccountSubscription[]> {
    const { catalog, policy } = this.options;
    const decided = accountSubscriptions(await this.cache.rowsOf(accountRef), now, policy, catalog);
    const stale = decided.filter((s) => s.access.reason === 'stale');
    if (stale.length === 0 || !this.refresher.enabled) return this.noted(decided);
    const refreshed = (await Promise.all(stale.map((s) => this.refresher.refresh(s.subscription)))).filter((row) => row !== null);
    if (refreshed.length === 0) return this.noted(decided);
    const fresh = new Map(refreshed.map((row) => [row.id, row]));
    const rows = decided.map((s) => fresh.get(s.subscription.id) ?? s.subscription).filter((row) => row.accountRef === accountRef);
    return this.noted(accountSubscriptions(rows, now, policy, catalog));
  }

  private noted(decided: AccountSubscription[]): AccountSubscription[] {
    this.unlistedPrices.note(decided);
    return decided;
  }
}

/** What an entitlement lacks for a requirement: null when nothing. */
export function missingFrom(entitlement: Entitlement, requirement: EntitlementRequirement): { subscription?: true; plans?: string[]; features?: string[] } | null {
  if (!entitlement.entitled) return { subscription: true };
  const plans = list(requirement.plan);
  if (plans.length && !plans.some((plan) => entitlement.plans.includes(plan))) return { plans };
  const features = list(requirement.feature).filter((feature) => !entitlement.features.includes(feature));
  return features.length ? { features } : null;
}

function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
