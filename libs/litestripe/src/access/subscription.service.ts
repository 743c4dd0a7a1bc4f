import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { GuestTokenReader, GuestTokenSubject, isGuestTokenSubject } from './guest-token.reader.js';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from '../config/entitlement-options.js';
import type { CreditPackSummary, PlanSummary } from '../config/plan-catalog.js';
import type { AccountSubscription, Entitlement } from './account-entitlement.js';
import { Decision, DecisionMemo } from './decision-memo.js';
import { EntitlementCache } from './entitlement.cache.js';
import { PlanPricing, PlanPricingReader } from './plan-pricing.js';
import { STALE_ROW_REFRESH, StaleRowRefresh } from './stale-row-refresh.js';

/** An account's entitlement and its subscriptions, decided together. */
export interface AccountStanding {
  entitlement: Entitlement;
  subscriptions: AccountSubscription[];
}

/**
 * Whose entitlement is asked: an account reference, or a guest by its access token (`{ guestToken }`;
 * an unusable token throws `GuestTokenRejectedException`, a 401). Give `clientKey` (e.g. the
 * request's IP) when the token comes from a request, so that guessing counts against
 * `guests.tokenAttempts`. A guest's entitlement, rows and usage are keyed by `guest:<guestId>`, its `accountRef`.
 */
export type EntitlementSubject = string | GuestTokenSubject;

/** What `isEntitled` checks besides an entitling subscription: any of the plans, and all of the features. */
export interface EntitlementRequirement {
  plan?: string | string[];
  feature?: string | string[];
}

/**
 * "May this account use this now?": entitlements, subscriptions and plans, read from the module's
 * tables (through the entitlement cache). Injectable anywhere the module is imported (guards
 * included). It changes nothing; billing actions are `BillingService`'s.
 *
 * @example
 * const { entitled, plan, limits } = await subscriptions.getEntitlement(user.id);
 * if (await subscriptions.isEntitled(user.id, { feature: 'export' })) { ... }
 */
@Injectable()
export class SubscriptionService {
  private readonly memo: DecisionMemo;

  /** @internal Nest constructs it from the module's providers: its dependencies are not part of the API. */
  constructor(
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly options: ResolvedEntitlementOptions,
    private readonly cache: EntitlementCache,
    @Inject(STALE_ROW_REFRESH) private readonly refresher: StaleRowRefresh,
    private readonly pricing: PlanPricingReader,
    private readonly guests: GuestTokenReader,
  ) {
    this.memo = new DecisionMemo(options.policy, options.catalog, options.cache !== null);
  }

  /** Whether the account is entitled now, through which subscription and plan, with what features and limits, and why. */
  async getEntitlement(subject: EntitlementSubject): Promise<Entitlement> {
    const accountRef = await this.referenceOf(subject);
    return (await this.decision(accountRef, this.options.clock.now())).entitlement;
  }

  /**
   * The entitlement from cached rows, without waiting: undefined when the cache is off, the account
   * is not cached, or a row is stale and would be refreshed. For hot paths (the guard); otherwise use
   * `getEntitlement`.
   */
  peekEntitlement(accountRef: string): Entitlement | undefined {
    const records = this.cache.peek(accountRef);
    if (!records) return undefined;
    const now = this.options.clock.now();
    const decision = this.memo.decide(accountRef, records, now);
    if (decision.stale && this.refresher.enabled) return undefined;
    return decision.entitlement;
  }

  /** Throws for a plan or feature that no configured plan has: a typo should not read as "not entitled". */
  async isEntitled(subject: EntitlementSubject, requirement: EntitlementRequirement = {}): Promise<boolean> {
    const { catalog } = this.options;
    const unknownPlan = list(requirement.plan).find((plan) => !catalog.has(plan));
    if (unknownPlan) throw new Error(`isEntitled: no plan "${unknownPlan}" is configured (plans: ${catalog.idList()}).`);
    const unknownFeature = list(requirement.feature).find((feature) => !catalog.features.has(feature));
    if (unknownFeature) throw new Error(`isEntitled: no configured plan has the feature "${unknownFeature}".`);
    return missingFrom(await this.getEntitlement(subject), requirement) === null;
  }

  /** Every subscription of the account in the module's mode, most relevant first, each with its plan and decision. */
  async listSubscriptions(subject: EntitlementSubject): Promise<AccountSubscription[]> {
    return (await this.decision(await this.referenceOf(subject), this.options.clock.now())).decided;
  }

  /** The entitlement and the subscriptions it was decided from, at one instant (what usage limits read). */
  async getStanding(subject: EntitlementSubject): Promise<AccountStanding> {
    const { entitlement, decided } = await this.decision(await this.referenceOf(subject), this.options.clock.now());
    return { entitlement, subscriptions: decided };
  }

  /** The configured plans (price ids of the module's mode). */
  listPlans(): PlanSummary[] {
    return this.options.catalog.summaries();
  }

  /** The configured credit packs (price ids of the module's mode), for a shop page. */
  listCreditPacks(): CreditPackSummary[] {
    return this.options.catalog.creditPackSummaries();
  }

  /** The configured plans with their Stripe prices (amount, currency, interval), cached for five minutes. */
  getPricing(): Promise<PlanPricing[]> {
    return this.pricing.pricing();
  }

  /** The account's rows decided at `now`; stale rows are re-read from Stripe first when the refresher may. */
  private async referenceOf(subject: EntitlementSubject): Promise<string> {
    if (typeof subject === 'string') return subject;
    if (isGuestTokenSubject(subject)) return (await this.guests.guestOf(subject)).accountRef;
    throw new BadRequestException('Ask for an account reference or { guestToken }.');
  }

  private async decision(accountRef: string, now: Date): Promise<Decision> {
    const records = await this.cache.rowsOf(accountRef);
    const decision = this.memo.decide(accountRef, records, now);
    if (!decision.stale || !this.refresher.enabled) return decision;
    const stale = decision.decided.filter((s) => s.access.reason === 'stale');
    const refreshed = (await Promise.all(stale.map((s) => this.refresher.refresh(s.subscription)))).filter((row) => row !== null);
    if (refreshed.length === 0) return decision;
    const fresh = new Map(refreshed.map((row) => [row.id, row]));
    const rows = decision.decided.map((s) => fresh.get(s.subscription.id) ?? s.subscription).filter((row) => row.accountRef === accountRef);
    return this.memo.decide(accountRef, { ...records, subscriptions: rows }, now);
  }
}

/** What an entitlement lacks for a requirement: null when nothing. */
export function missingFrom(entitlement: Entitlement, requirement: EntitlementRequirement): { subscription?: true; plans?: string[]; features?: string[] } | null {
  if (!entitlement.entitled) return { subscription: true };
  if (requirement.plan === undefined && requirement.feature === undefined) return null; // the guard's common case, without allocating
  const plans = list(requirement.plan);
  if (plans.length && !plans.some((plan) => entitlement.plans.includes(plan))) return { plans };
  const features = list(requirement.feature).filter((feature) => !entitlement.features.includes(feature));
  return features.length ? { features } : null;
}

function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
