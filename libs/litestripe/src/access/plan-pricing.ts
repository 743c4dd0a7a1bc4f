import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import type Stripe from 'stripe';
import { InjectStripeClient } from '../stripe/stripe-client.decorator.js';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from '../config/entitlement-options.js';
import type { PlanDefinition, PlanSummary } from '../config/plan-catalog.js';
import { monotonicMs } from '../common/clock.js';

/** A price of a plan, as a pricing page shows it. */
export interface PlanPrice {
  id: string;
  lookupKey: string | null;
  nickname: string | null;
  /** Minor units of `currency`. */
  unitAmount: number | null;
  currency: string;
  interval: Stripe.Price.Recurring.Interval | null;
  intervalCount: number | null;
}

/** A plan with its Stripe prices in the module's mode. */
export type PlanPricing = Omit<PlanSummary, 'prices'> & { prices: PlanPrice[] };

const CACHE_MS = 5 * 60_000;
/** Stripe accepts at most 10 lookup keys per list call. */
const LOOKUP_KEYS_PER_CALL = 10;

/** Reads the configured plans' prices from Stripe, cached for five minutes (prices rarely change). */
@Injectable()
export class PlanPricingReader {
  private cached: { at: number; prices: Promise<Map<string, Stripe.Price[]>> } | null = null;

  constructor(
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly options: ResolvedEntitlementOptions,
    @InjectStripeClient() private readonly stripe: Stripe,
  ) {}

  async pricing(): Promise<PlanPricing[]> {
    const byPlan = await this.load();
    return this.options.catalog.summaries().map((summary) => ({ ...summary, prices: (byPlan.get(summary.id) ?? []).map(toPlanPrice) }));
  }

  /** The plan's prices in the current mode: its price ids in order, then its lookup keys' prices. */
  async pricesOf(plan: PlanDefinition): Promise<Stripe.Price[]> {
    const prices = (await this.load()).get(plan.id) ?? [];
    if (prices.length === 0) {
      throw new BadRequestException(`Plan "${plan.id}" has no active price in Stripe for its ${this.options.livemode ? 'live' : 'test'}-mode ids or lookup keys; check the plans option against the Stripe dashboard.`);
    }
    return prices;
  }

  private load(): Promise<Map<string, Stripe.Price[]>> {
    if (this.cached && monotonicMs() - this.cached.at < CACHE_MS) return this.cached.prices;
    const prices = this.fetch();
    this.cached = { at: monotonicMs(), prices };
    prices.catch(() => (this.cached = null));
    return prices;
  }

  private async fetch(): Promise<Map<string, Stripe.Price[]>> {
    const { catalog } = this.options;
    const byLookupKey = new Map<string, Stripe.Price>();
    const keys = catalog.plans.flatMap((plan) => plan.lookupKeys);
    for (let i = 0; i < keys.length; i += LOOKUP_KEYS_PER_CALL) {
      const page = await this.stripe.prices.list({ lookup_keys: keys.slice(i, i + LOOKUP_KEYS_PER_CALL), active: true, limit: 100 });
      for (const price of page.data) if (price.lookup_key) byLookupKey.set(price.lookup_key, price);
    }
    const result = new Map<string, Stripe.Price[]>();
    for (const plan of catalog.plans) {
      const byId = await Promise.all(catalog.pricesOf(plan).map((id) => this.stripe.prices.retrieve(id)));
      const byKey = plan.lookupKeys.map((key) => byLookupKey.get(key)).filter((price): price is Stripe.Price => !!price);
      const seen = new Set<string>();
      result.set(plan.id, [...byId.filter((price) => price.active), ...byKey].filter((price) => !seen.has(price.id) && seen.add(price.id)));
    }
    return result;
  }
}

function toPlanPrice(price: Stripe.Price): PlanPrice {
  return {
    id: price.id,
    lookupKey: price.lookup_key,
    nickname: price.nickname,
    unitAmount: price.unit_amount,
    currency: price.currency,
    interval: price.recurring?.interval ?? null,
    intervalCount: price.recurring?.interval_count ?? null,
  };
}
