import type { StripeSubscription } from '../entities/stripe-subscription.entity.js';

/** A configured plan, normalized: lists instead of "one or many", defaults filled in. */
export interface PlanDefinition {
  /** The plan's key in the `plans` option. */
  id: string;
  name: string;
  testPrices: string[];
  livePrices: string[];
  /** Metered prices (Stripe Billing Meters) checkout adds beside the plan's price. */
  testMeteredPrices: string[];
  liveMeteredPrices: string[];
  lookupKeys: string[];
  features: string[];
  limits: Record<string, number>;
}

/** What a pricing page needs of a plan, in the module's mode. */
export interface PlanSummary {
  id: string;
  name: string;
  /** Price ids of the current mode (test or live). */
  prices: string[];
  /** Metered price ids of the current mode, billed for use after each period. */
  meteredPrices: string[];
  lookupKeys: string[];
  features: string[];
  limits: Record<string, number>;
}

/** Looks plans up by price id or lookup key. Built once at start-up from validated options. */
export class PlanCatalog {
  private readonly byPrice = new Map<string, PlanDefinition>();
  private readonly byLookupKey = new Map<string, PlanDefinition>();
  private readonly byId = new Map<string, PlanDefinition>();
  readonly features: ReadonlySet<string>;

  constructor(
    readonly plans: readonly PlanDefinition[],
    readonly livemode: boolean,
    /** Module option `allowUnlistedPrices`. */
    readonly allowUnlistedPrices = false,
  ) {
    for (const plan of plans) {
      this.byId.set(plan.id, plan);
      for (const price of [...plan.testPrices, ...plan.livePrices, ...plan.testMeteredPrices, ...plan.liveMeteredPrices]) this.byPrice.set(price, plan);
      for (const key of plan.lookupKeys) this.byLookupKey.set(key, plan);
    }
    this.features = new Set(plans.flatMap((plan) => plan.features));
  }

  get(id: string): PlanDefinition | undefined {
    return this.byId.get(id);
  }

  /** The plans' ids for a message: `basic, pro`, or `none`. */
  idList(): string {
    return this.plans.map((plan) => plan.id).join(', ') || 'none';
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** The plan a subscription row is on: by its price id first, then by its price's lookup key. */
  planOf(row: Pick<StripeSubscription, 'priceId' | 'lookupKey'>): PlanDefinition | null {
    return (row.priceId ? this.byPrice.get(row.priceId) : undefined) ?? (row.lookupKey ? this.byLookupKey.get(row.lookupKey) : undefined) ?? null;
  }

  /** Whether a subscription on a price no plan lists may entitle: when there is no catalogue, or the host allows it. */
  get unlistedPricesEntitle(): boolean {
    return this.allowUnlistedPrices || this.plans.length === 0;
  }

  /** Price ids of a plan in the module's mode. */
  pricesOf(plan: PlanDefinition): string[] {
    return this.livemode ? plan.livePrices : plan.testPrices;
  }

  /** Metered price ids of a plan in the module's mode. */
  meteredPricesOf(plan: PlanDefinition): string[] {
    return this.livemode ? plan.liveMeteredPrices : plan.testMeteredPrices;
  }

  summaries(): PlanSummary[] {
    return this.plans.map((plan) => ({
      id: plan.id,
      name: plan.name,
      prices: [...this.pricesOf(plan)],
      meteredPrices: [...this.meteredPricesOf(plan)],
      lookupKeys: [...plan.lookupKeys],
      features: [...plan.features],
      limits: { ...plan.limits },
    }));
  }
}
