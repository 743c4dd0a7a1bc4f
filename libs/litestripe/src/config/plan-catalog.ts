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
  /** One-time prices that grant the plan for good. */
  testLifetimePrices: string[];
  liveLifetimePrices: string[];
  lookupKeys: string[];
  features: string[];
  limits: Record<string, number>;
}

/** A configured credit pack, normalized. */
export interface CreditPackDefinition {
  /** The pack's key in the `creditPacks` option. */
  id: string;
  name: string;
  testPrices: string[];
  livePrices: string[];
  /** Credits per unit bought, by metric. */
  credits: Record<string, number>;
}

/** What a shop page needs of a credit pack, in the module's mode. */
export interface CreditPackSummary {
  id: string;
  name: string;
  /** Price ids of the current mode. */
  prices: string[];
  /** Credits per pack bought, by metric. */
  credits: Record<string, number>;
}

/** Where a subscription's features come from (module option `featuresFrom`). */
export type FeatureSource = 'config' | 'stripe' | 'both';

/** The catalogue's options besides the plans. */
export interface CatalogOptions {
  /** Module option `allowUnlistedPrices`. */
  allowUnlistedPrices?: boolean;
  creditPacks?: readonly CreditPackDefinition[];
  featuresFrom?: FeatureSource;
  /** Lookup keys of the Stripe features the app checks. */
  stripeFeatures?: readonly string[];
  revokeLifetimeOnPartialRefund?: boolean;
}

/** What a one-time price grants: a plan for good, or credits. */
export type OneTimeGrant = { kind: 'lifetime'; plan: PlanDefinition } | { kind: 'credits'; pack: CreditPackDefinition };

/** What a pricing page needs of a plan, in the module's mode. */
export interface PlanSummary {
  id: string;
  name: string;
  /** Price ids of the current mode (test or live). */
  prices: string[];
  /** Metered price ids of the current mode, billed for use after each period. */
  meteredPrices: string[];
  /** One-time price ids of the current mode that grant the plan for good. */
  lifetimePrices: string[];
  lookupKeys: string[];
  features: string[];
  limits: Record<string, number>;
}

/** Looks plans up by price id or lookup key. Built once at start-up from validated options. */
export class PlanCatalog {
  private readonly byPrice = new Map<string, PlanDefinition>();
  private readonly byLookupKey = new Map<string, PlanDefinition>();
  private readonly byId = new Map<string, PlanDefinition>();
  private readonly oneTimeByPrice = new Map<string, OneTimeGrant>();
  /** Every feature a requirement may name: the plans' and, when features come from Stripe, `stripeFeatures`. */
  readonly features: ReadonlySet<string>;
  readonly allowUnlistedPrices: boolean;
  readonly creditPacks: readonly CreditPackDefinition[];
  readonly featuresFrom: FeatureSource;
  readonly revokeLifetimeOnPartialRefund: boolean;
  /** The metrics some credit pack adds credits to. */
  readonly creditMetrics: ReadonlySet<string>;

  constructor(
    readonly plans: readonly PlanDefinition[],
    readonly livemode: boolean,
    options: CatalogOptions = {},
  ) {
    this.allowUnlistedPrices = options.allowUnlistedPrices ?? false;
    this.creditPacks = options.creditPacks ?? [];
    this.featuresFrom = options.featuresFrom ?? 'config';
    this.revokeLifetimeOnPartialRefund = options.revokeLifetimeOnPartialRefund ?? false;
    for (const plan of plans) {
      this.byId.set(plan.id, plan);
      for (const price of [...plan.testPrices, ...plan.livePrices, ...plan.testMeteredPrices, ...plan.liveMeteredPrices]) this.byPrice.set(price, plan);
      for (const price of [...plan.testLifetimePrices, ...plan.liveLifetimePrices]) this.oneTimeByPrice.set(price, { kind: 'lifetime', plan });
      for (const key of plan.lookupKeys) this.byLookupKey.set(key, plan);
    }
    for (const pack of this.creditPacks) {
      for (const price of [...pack.testPrices, ...pack.livePrices]) this.oneTimeByPrice.set(price, { kind: 'credits', pack });
    }
    this.creditMetrics = new Set(this.creditPacks.flatMap((pack) => Object.keys(pack.credits)));
    this.features = new Set([...plans.flatMap((plan) => plan.features), ...(this.featuresFrom === 'config' ? [] : (options.stripeFeatures ?? []))]);
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

  /** What a one-time price grants (a lifetime plan or a credit pack); null for a price the catalogue does not sell once. */
  oneTimeGrantOf(priceId: string): OneTimeGrant | null {
    return this.oneTimeByPrice.get(priceId) ?? null;
  }

  /** Whether anything is sold once: only then are purchases read for an account. */
  get sellsOnce(): boolean {
    return this.oneTimeByPrice.size > 0;
  }

  /** Whether Stripe's features count (module option `featuresFrom`). */
  get readsStripeFeatures(): boolean {
    return this.featuresFrom !== 'config';
  }

  /** Whether a plan's configured features count for a subscription on it. */
  get readsConfiguredFeatures(): boolean {
    return this.featuresFrom !== 'stripe';
  }

  creditPack(id: string): CreditPackDefinition | undefined {
    return this.creditPacks.find((pack) => pack.id === id);
  }

  /** One-time price ids of a plan's lifetime grant in the module's mode. */
  lifetimePricesOf(plan: PlanDefinition): string[] {
    return this.livemode ? plan.liveLifetimePrices : plan.testLifetimePrices;
  }

  /** Price ids of a credit pack in the module's mode. */
  packPricesOf(pack: CreditPackDefinition): string[] {
    return this.livemode ? pack.livePrices : pack.testPrices;
  }

  /** Price ids of a plan in the module's mode. */
  pricesOf(plan: PlanDefinition): string[] {
    return this.livemode ? plan.livePrices : plan.testPrices;
  }

  /** Metered price ids of a plan in the module's mode. */
  meteredPricesOf(plan: PlanDefinition): string[] {
    return this.livemode ? plan.liveMeteredPrices : plan.testMeteredPrices;
  }

  creditPackSummaries(): CreditPackSummary[] {
    return this.creditPacks.map((pack) => ({ id: pack.id, name: pack.name, prices: [...this.packPricesOf(pack)], credits: { ...pack.credits } }));
  }

  summaries(): PlanSummary[] {
    return this.plans.map((plan) => ({
      id: plan.id,
      name: plan.name,
      prices: [...this.pricesOf(plan)],
      meteredPrices: [...this.meteredPricesOf(plan)],
      lifetimePrices: [...this.lifetimePricesOf(plan)],
      lookupKeys: [...plan.lookupKeys],
      features: [...plan.features],
      limits: { ...plan.limits },
    }));
  }
}
