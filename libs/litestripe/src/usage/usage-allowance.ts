import type { AccountSubscription } from '../access/account-entitlement.js';
import type { PlanCatalog } from '../config/plan-catalog.js';
import type { ResolvedUsageMetric } from '../config/usage-options.js';
import { UsagePeriod, usagePeriod } from './usage-period.js';

/** What a subject may use of one metric now, and where that comes from. */
export interface UsageAllowance {
  metric: string;
  /** Units per period; `Infinity` for unlimited, 0 when the plan does not list the metric. */
  limit: number;
  /**
   * Where the limit comes from: `plan` (an entitling subscription's plan), `free` (`usage.freeLimits`,
   * no entitling subscription), `route` (the `@UsageLimit()` limit), or `none`: nothing grants
   * the metric to a subject without an entitling subscription.
   */
  source: 'plan' | 'free' | 'route' | 'none';
  period: UsagePeriod;
  /** The granting plan (a subscription's or a lifetime one's) and the subscription's quantity. */
  plan: string | null;
  seats: number | null;
  subscriptionId: string | null;
  /** The Stripe customer metered use is reported for. */
  customerId: string | null;
}

/**
 * The most generous limit among the subject's entitling subscriptions (per seat when the metric says
 * so) and lifetime plans, counted in the period of the subscription that grants it (a lifetime
 * plan's: the calendar month for a `billing` metric); without either, the free limits. A route's own
 * `limit` replaces the plans' (still per seat).
 */
export function allowanceOf(
  metric: string,
  decided: readonly AccountSubscription[],
  settings: ResolvedUsageMetric,
  freeLimits: Readonly<Record<string, number>>,
  catalog: PlanCatalog,
  now: Date,
  routeLimit?: number,
  lifetimePlans: readonly string[] = [],
): UsageAllowance {
  // Each entitling subscription and lifetime plan offers a limit; the most generous one grants.
  const offers = [
    ...decided
      .filter(({ access }) => access.entitled)
      .map(({ subscription, plan }) => ({ plan, subscription, seats: subscription.quantity ?? 1 })),
    ...lifetimePlans.map((plan) => ({ plan, subscription: null, seats: null })),
  ];
  let best: UsageAllowance | null = null;
  for (const { plan, subscription, seats } of offers) {
    const base = routeLimit ?? (plan === null ? 0 : (catalog.get(plan)?.limits[metric] ?? 0));
    // No seats, no per-seat use: 0 (Infinity × 0 would be NaN, which no store can compare against).
    const limit = settings.perSeat && seats !== null ? (seats === 0 ? 0 : base * seats) : base;
    if (best !== null && limit <= best.limit) continue;
    best = {
      metric,
      limit,
      source: routeLimit === undefined ? 'plan' : 'route',
      period: usagePeriod(settings.period, now, subscription),
      plan,
      seats,
      subscriptionId: subscription?.id ?? null,
      customerId: subscription?.customerId ?? null,
    };
  }
  if (best) return best;
  const free = routeLimit ?? freeLimits[metric];
  return {
    metric,
    limit: free ?? 0,
    source: free === undefined ? 'none' : routeLimit === undefined ? 'free' : 'route',
    period: usagePeriod(settings.period, now, null),
    plan: null,
    seats: null,
    subscriptionId: null,
    customerId: null,
  };
}
