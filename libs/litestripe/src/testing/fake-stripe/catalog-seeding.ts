import type Stripe from 'stripe';
import { activeMeterFor } from './billing/meter-usage.js';
import { attachFeature } from './billing/product-features.js';
import type { FakeStripeContext } from './fake-stripe.context.js';
import { buildFeature } from './objects/entitlement.object.js';
import { buildMeter, type MeterFormula } from './objects/meter.object.js';
import { buildPrice } from './objects/price.object.js';
import { buildProduct } from './objects/product.object.js';

export interface SeedPriceOptions {
  /** Minor units; default 2000. For a metered price, the amount per unit of usage. */
  unitAmount?: number;
  currency?: string;
  /** Default `month`; null makes a one-time price. */
  interval?: 'day' | 'week' | 'month' | 'year' | null;
  intervalCount?: number;
  lookupKey?: string;
  nickname?: string;
  productName?: string;
  metadata?: Record<string, string>;
  /** A meter id (see `seedMeter`): makes the price `usage_type: 'metered'`, billed from that meter's usage. */
  meter?: string;
  /** Lookup keys of entitlement features attached to the price's product (missing ones are seeded). */
  features?: string[];
}

export interface SeedFeatureOptions {
  /** Unique among features. */
  lookupKey: string;
  /** Default: the lookup key. */
  name?: string;
}

export interface SeedMeterOptions {
  /** The `event_name` meter events are sent with; unique among active meters. */
  eventName: string;
  /** Default: the event name. */
  displayName?: string;
  /** `default_aggregation.formula`; default `sum`. */
  formula?: MeterFormula;
  /** `customer_mapping.event_payload_key`; default `stripe_customer_id`. */
  customerKey?: string;
  /** `value_settings.event_payload_key`; default `value`. */
  valueKey?: string;
}

/** A product with one price, written straight into the store without events. */
export function seedPrice(ctx: FakeStripeContext, options: SeedPriceOptions): Stripe.Price {
  const created = ctx.clock.now();
  const interval = options.interval === undefined ? 'month' : options.interval;
  if (options.meter !== undefined) {
    if (!ctx.store.meters.has(options.meter)) throw new Error(`FakeStripe: no meter ${options.meter}`);
    if (!interval) throw new Error('FakeStripe: a metered price must be recurring (interval cannot be null)');
  }
  const product = ctx.store.products.add(buildProduct({ name: options.productName ?? options.nickname ?? 'Fake plan', created }));
  const price = buildPrice({
    product: product.id,
    currency: options.currency ?? 'usd',
    unitAmount: options.unitAmount ?? 2000,
    recurring: interval ? { interval, intervalCount: options.intervalCount ?? 1, meter: options.meter ?? null } : null,
    lookupKey: options.lookupKey ?? null,
    nickname: options.nickname ?? null,
    metadata: options.metadata,
    created,
  });
  product.default_price = price.id;
  for (const lookupKey of options.features ?? []) {
    attachFeature(ctx, product.id, findFeature(ctx, lookupKey) ?? seedFeature(ctx, { lookupKey }));
  }
  return ctx.store.prices.add(price);
}

/** An entitlement feature, written straight into the store (features have no events). */
export function seedFeature(ctx: FakeStripeContext, options: SeedFeatureOptions): Stripe.Entitlements.Feature {
  if (featureWithLookupKey(ctx, options.lookupKey)) throw new Error(`FakeStripe: a feature with the lookup key ${options.lookupKey} already exists`);
  return ctx.store.features.add(buildFeature({ lookupKey: options.lookupKey, name: options.name ?? options.lookupKey }));
}

/** A feature by id, else by lookup key. */
export function findFeature(ctx: FakeStripeContext, idOrLookupKey: string): Stripe.Entitlements.Feature | undefined {
  return ctx.store.features.get(idOrLookupKey) ?? featureWithLookupKey(ctx, idOrLookupKey);
}

export function featureWithLookupKey(ctx: FakeStripeContext, lookupKey: string): Stripe.Entitlements.Feature | undefined {
  return ctx.store.features.find((feature) => feature.lookup_key === lookupKey);
}

/** An active billing meter, written straight into the store without events. */
export function seedMeter(ctx: FakeStripeContext, options: SeedMeterOptions): Stripe.Billing.Meter {
  const taken = activeMeterFor(ctx, options.eventName);
  if (taken) throw new Error(`FakeStripe: the active meter ${taken.id} already uses the event name ${options.eventName}`);
  return ctx.store.meters.add(
    buildMeter({
      displayName: options.displayName ?? options.eventName,
      eventName: options.eventName,
      formula: options.formula ?? 'sum',
      customerKey: options.customerKey,
      valueKey: options.valueKey,
      created: ctx.clock.now(),
    }),
  );
}
