import type { LitestripeModuleOptions } from '@litestripe/nestjs';

type DemoPlans = NonNullable<LitestripeModuleOptions['plans']>;
type DemoUsage = NonNullable<LitestripeModuleOptions['usage']>;

/** The `event_name` of the Stripe Billing Meter the pro plan's summaries are billed on (sandbox mode). */
export const SUMMARIES_METER = 'demo_summaries';

/**
 * The demo's plans, by price lookup key, so the same configuration works against the sandbox's fake
 * Stripe and a real test-mode account (create prices with these lookup keys there).
 * `limits` are what `@UsageLimit()` and `UsageService` count against (api.controller.ts):
 * `api_calls` per seat and billing period, `summaries` unlimited on pro and billed per use when the
 * plan has a metered price (`summariesPrice`: the sandbox's, see sandbox-stripe.module.ts).
 */
export function demoPlans(summariesPrice?: string): DemoPlans {
  return {
    basic: { name: 'Basic', lookupKeys: ['demo_basic_monthly'], features: ['reports'], limits: { api_calls: 100 } },
    pro: {
      name: 'Pro',
      lookupKeys: ['demo_pro_monthly', 'demo_pro_yearly'],
      features: ['reports', 'export'],
      limits: { api_calls: 1000, summaries: Infinity },
      // Checkout adds the metered price beside the plan's own; Stripe bills the meter's usage after each period.
      ...(summariesPrice ? { meteredPrices: { test: summariesPrice } } : {}),
    },
  };
}

/**
 * How usage is counted: `api_calls` per seat (a 3-seat basic subscription gets 300 a period), in the
 * billing period of the subscription that grants it, in PostgreSQL; an account without a
 * subscription gets 10 calls a calendar month, to try the API. `summaries` are reported to the
 * Stripe meter when `metered` (the sandbox seeds the meter; a real account would need one).
 */
export function demoUsage({ metered }: { metered: boolean }): DemoUsage {
  return {
    metrics: {
      api_calls: { period: 'billing', perSeat: true },
      summaries: { period: 'billing', ...(metered ? { meter: SUMMARIES_METER } : {}) },
    },
    freeLimits: { api_calls: 10 },
  };
}
