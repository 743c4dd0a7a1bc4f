import type Stripe from 'stripe';
import type { FakeStripeContext } from './fake-stripe.context.js';
import { buildPrice } from './objects/price.object.js';
import { buildProduct } from './objects/product.object.js';

export interface SeedPriceOptions {
  /** Minor units; default 2000. */
  unitAmount?: number;
  currency?: string;
  /** Default `month`; null makes a one-time price. */
  interval?: 'day' | 'week' | 'month' | 'year' | null;
  intervalCount?: number;
  lookupKey?: string;
  nickname?: string;
  productName?: string;
  metadata?: Record<string, string>;
}

/** A product with one price, written straight into the store without events. */
export function seedPrice(ctx: FakeStripeContext, options: SeedPriceOptions): Stripe.Price {
  const created = ctx.clock.now();
  const product = ctx.store.products.add(buildProduct({ name: options.productName ?? options.nickname ?? 'Fake plan', created }));
  const interval = options.interval === undefined ? 'month' : options.interval;
  const price = buildPrice({
    product: product.id,
    currency: options.currency ?? 'usd',
    unitAmount: options.unitAmount ?? 2000,
    recurring: interval ? { interval, intervalCount: options.intervalCount ?? 1 } : null,
    lookupKey: options.lookupKey ?? null,
    nickname: options.nickname ?? null,
    metadata: options.metadata,
    created,
  });
  product.default_price = price.id;
  return ctx.store.prices.add(price);
}
