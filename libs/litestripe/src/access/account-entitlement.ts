import type { StripeSubscription, SubscriptionStatus } from '../entities/stripe-subscription.entity.js';
import { AccessDecision, AccessPolicy, AccessReason, decideAccess } from './entitlement-rules.js';
import type { PlanCatalog } from '../config/plan-catalog.js';
import type { AccountRecords } from './account-records.js';

/** What an account holds besides its subscriptions. */
export type AccountGrants = Pick<AccountRecords, 'lifetimePlans' | 'stripeFeatures'>;

const NO_GRANTS: AccountGrants = { lifetimePlans: [], stripeFeatures: [] };

/** One subscription of an account, with the plan it is on and what the rules say of it now. */
export interface AccountSubscription {
  subscription: StripeSubscription;
  /** The configured plan of its price, or null when the price is in no plan. */
  plan: string | null;
  access: AccessDecision;
}

/** What an account may use now, and why. */
export interface Entitlement {
  accountRef: string;
  entitled: boolean;
  /**
   * The deciding subscription's reason; `lifetime` when only a lifetime plan entitles;
   * `no_subscription` when the account has neither (in this mode).
   */
  reason: AccessReason | 'lifetime' | 'no_subscription';
  /** The deciding subscription: the best entitling one, else the most telling one (e.g. `past_due` over an old `canceled`). */
  subscription: StripeSubscription | null;
  plan: string | null;
  /** Plans of every entitling subscription and lifetime purchase (an account may hold several, e.g. a plan and an add-on). */
  plans: string[];
  /** Plans held for good (one-time purchases); also in `plans`. */
  lifetimePlans: string[];
  /**
   * Union of the features of those plans: the configured ones, and with `featuresFrom` `'stripe'`
   * or `'both'` the features of Stripe's Entitlements while a subscription entitles.
   */
  features: string[];
  /** The features in `features` that Stripe's Entitlements grant (with `featuresFrom` `'stripe'` or `'both'`). */
  stripeFeatures: string[];
  /** Limits of those plans; where two plans set the same limit, the larger wins. */
  limits: Record<string, number>;
  status: SubscriptionStatus | null;
  quantity: number | null;
  trialEnd: Date | null;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  /** When a scheduled cancellation takes effect. */
  endsAt: Date | null;
  /** When the `past_due` grace period ends. */
  graceEndsAt: Date | null;
  /** While entitled: when access ends unless something changes (see `AccessDecision.until`). */
  until: Date | null;
  /**
   * The time the rules were applied at. An answer is reused for the same rows until the first
   * instant a decision could change, so this may be earlier than now: the answer holds now all the
   * same. The object is frozen (it may answer other lookups too).
   */
  checkedAt: Date;
}

const ENTITLED_ORDER: readonly AccessReason[] = ['active', 'trialing', 'canceling', 'past_due_grace'];
const FINAL_REASONS: ReadonlySet<AccessReason> = new Set(['canceled', 'incomplete_expired', 'ended']);

/** Applies the rules to each subscription of an account. */
export function accountSubscriptions(rows: readonly StripeSubscription[], now: Date, policy: AccessPolicy, catalog: PlanCatalog): AccountSubscription[] {
  return rows.map((subscription) => decideSubscription(subscription, now, policy, catalog)).sort(byRelevance);
}

/** The rules, then the catalogue: with plans configured, a price no plan lists (a tip jar, a one-off) opens nothing. */
function decideSubscription(subscription: StripeSubscription, now: Date, policy: AccessPolicy, catalog: PlanCatalog): AccountSubscription {
  const plan = catalog.planOf(subscription)?.id ?? null;
  const access = decideAccess(subscription, now, policy);
  if (!access.entitled || plan !== null || catalog.unlistedPricesEntitle) return { subscription, plan, access };
  return { subscription, plan, access: { ...access, entitled: false, reason: 'unlisted_price', until: null } };
}

/** The account's entitlement from its subscriptions: pure, so it is decided at `now` even from cached rows. */
export function entitlementOf(accountRef: string, rows: readonly StripeSubscription[], now: Date, policy: AccessPolicy, catalog: PlanCatalog, grants: AccountGrants = NO_GRANTS): Entitlement {
  return summarizeEntitlement(accountRef, accountSubscriptions(rows, now, policy, catalog), now, catalog, grants);
}

/**
 * The entitlement from subscriptions already decided (as `accountSubscriptions` sorts them) and the
 * account's other grants. An entitling subscription decides; a lifetime plan entitles when none does.
 */
export function summarizeEntitlement(accountRef: string, all: readonly AccountSubscription[], now: Date, catalog: PlanCatalog, grants: AccountGrants = NO_GRANTS): Entitlement {
  const entitling = all.filter((s) => s.access.entitled);
  const lifetimePlans = grants.lifetimePlans.filter((plan) => catalog.has(plan));
  const subscriptionPlans = unique(entitling.map((s) => s.plan).filter((plan): plan is string => plan !== null));
  const plans = unique([...subscriptionPlans, ...lifetimePlans]);
  const limits: Record<string, number> = {};
  for (const plan of plans) {
    for (const [name, value] of Object.entries(catalog.get(plan)!.limits)) limits[name] = Math.max(limits[name] ?? -Infinity, value);
  }
  const stripeFeatures = catalog.readsStripeFeatures && entitling.length > 0 ? unique(grants.stripeFeatures) : [];
  const features = [
    ...(catalog.readsConfiguredFeatures ? subscriptionPlans.flatMap((plan) => catalog.get(plan)!.features) : []),
    ...lifetimePlans.flatMap((plan) => catalog.get(plan)!.features),
    ...stripeFeatures,
  ];
  // A lifetime plan decides only when no subscription entitles: an entitling subscription says more (its end, its seats).
  const lifetimeDecides = entitling.length === 0 && lifetimePlans.length > 0;
  const deciding = lifetimeDecides ? null : (all[0] ?? null);
  const row = deciding?.subscription ?? null;
  return {
    accountRef,
    entitled: entitling.length > 0 || lifetimeDecides,
    reason: lifetimeDecides ? 'lifetime' : (deciding?.access.reason ?? 'no_subscription'),
    subscription: row,
    plan: lifetimeDecides ? lifetimePlans[0] : (deciding?.plan ?? null),
    plans,
    lifetimePlans,
    features: unique(features),
    stripeFeatures,
    limits,
    status: row?.status ?? null,
    quantity: row?.quantity ?? null,
    trialEnd: row?.trialEnd ?? null,
    currentPeriodEnd: row?.currentPeriodEnd ?? null,
    cancelAtPeriodEnd: row?.cancelAtPeriodEnd ?? false,
    endsAt: deciding?.access.endsAt ?? null,
    graceEndsAt: deciding?.access.graceEndsAt ?? null,
    until: deciding?.access.until ?? null,
    checkedAt: now,
  };
}

/** Entitling first (active before trialing before canceling before grace), then live problems before final ends, then newest. */
function byRelevance(a: AccountSubscription, b: AccountSubscription): number {
  return rank(a) - rank(b) || time(b.subscription) - time(a.subscription);
}

function rank({ access }: AccountSubscription): number {
  if (access.entitled) return ENTITLED_ORDER.indexOf(access.reason);
  return FINAL_REASONS.has(access.reason) ? 20 : 10;
}

function time(row: StripeSubscription): number {
  return (row.currentPeriodEnd ?? row.createdAt ?? new Date(0)).getTime();
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}
