import type { LitestripeModuleOptions } from '@litestripe/nestjs';

type DemoPlans = NonNullable<LitestripeModuleOptions['plans']>;
type DemoUsage = NonNullable<LitestripeModuleOptions['usage']>;
type DemoCreditPacks = NonNullable<LitestripeModuleOptions['creditPacks']>;

/** The `event_name` of the Stripe Billing Meter the pro plan's summaries are billed on (sandbox mode). */
export const SUMMARIES_METER = 'demo_summaries';

/**
 * Features that come from Stripe (Stripe Entitlements: features attached to a product, granted to
 * its subscribers), by lookup key. The sandbox attaches `priority_support` to the pro products.
 */
export const DEMO_STRIPE_FEATURES = ['priority_support'];

/** The credit pack the demo sells, and how many `api_calls` each one adds. */
export const API_CALLS_PACK = 'api_calls_100';
export const API_CALLS_PER_PACK = 100;

/** Stripe price ids of the demo's one-time prices (those left out are not sold). */
export interface OneTimePrices {
  /** "Pro for life": the pro plan for good. */
  proLifetime?: string;
  /** A pack of 100 `api_calls` credits. */
  apiCallsPack?: string;
}

/** Against a real test-mode account the one-time prices are optional environment variables. */
export function oneTimePricesFromEnv(env: NodeJS.ProcessEnv = process.env): OneTimePrices {
  return { proLifetime: env.DEMO_PRO_LIFETIME_PRICE?.trim() || undefined, apiCallsPack: env.DEMO_API_CALLS_PACK_PRICE?.trim() || undefined };
}

/**
 * The demo's plans, by price lookup key, so the same configuration works against the sandbox's fake
 * Stripe and a real test-mode account (create prices with these lookup keys there).
 * `limits` are what `@UsageLimit()` and `UsageService` count against (api.controller.ts):
 * `api_calls` per seat and billing period, `summaries` unlimited on pro and billed per use when the
 * plan has a metered price (`summariesPrice`: the sandbox's, see sandbox-stripe.module.ts).
 * Pro is also sold for good when there is a lifetime price (`prices.proLifetime`).
 */
export function demoPlans(summariesPrice?: string, prices: OneTimePrices = {}): DemoPlans {
  return {
    basic: { name: 'Basic', lookupKeys: ['demo_basic_monthly'], features: ['reports'], limits: { api_calls: 100 } },
    pro: {
      name: 'Pro',
      lookupKeys: ['demo_pro_monthly', 'demo_pro_yearly'],
      features: ['reports', 'export'],
      limits: { api_calls: 1000, summaries: Infinity },
      // Checkout adds the metered price beside the plan's own; Stripe bills the meter's usage after each period.
      ...(summariesPrice ? { meteredPrices: { test: summariesPrice } } : {}),
      // Bought once (Checkout in payment mode), held for good: pro's features and limits, no renewal.
      ...(prices.proLifetime ? { lifetimePrices: { test: prices.proLifetime } } : {}),
    },
  };
}

/** Usage credits sold once: `@UsageLimit('api_calls')` spends them once the period's allowance is used up. */
export function demoCreditPacks(prices: OneTimePrices = {}): DemoCreditPacks {
  if (!prices.apiCallsPack) return {};
  return { [API_CALLS_PACK]: { name: '100 API calls', prices: { test: prices.apiCallsPack }, credits: { api_calls: API_CALLS_PER_PACK } } };
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
