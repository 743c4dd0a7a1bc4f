import type Stripe from 'stripe';
import { stripeId } from '../ids.js';
import { decimalString } from './wire.js';

export type RecurringInterval = 'day' | 'week' | 'month' | 'year';

export interface RecurringInput {
  interval: RecurringInterval;
  intervalCount: number;
  trialPeriodDays?: number | null;
  /** A meter id (`mtr_...`) makes the price `usage_type: 'metered'`, billed in arrears from the meter's usage. */
  meter?: string | null;
}

export interface PriceInput {
  product: string;
  currency: string;
  unitAmount: number;
  recurring: RecurringInput | null;
  lookupKey?: string | null;
  nickname?: string | null;
  metadata?: Record<string, string>;
  active?: boolean;
  created: number;
}

export function buildPrice(input: PriceInput): Stripe.Price {
  return {
    id: stripeId('price'),
    object: 'price',
    active: input.active ?? true,
    billing_scheme: 'per_unit',
    created: input.created,
    currency: input.currency.toLowerCase(),
    custom_unit_amount: null,
    livemode: false,
    lookup_key: input.lookupKey ?? null,
    metadata: input.metadata ?? {},
    nickname: input.nickname ?? null,
    product: input.product,
    recurring: input.recurring
      ? {
          interval: input.recurring.interval,
          interval_count: input.recurring.intervalCount,
          meter: input.recurring.meter ?? null,
          trial_period_days: input.recurring.trialPeriodDays ?? null,
          usage_type: input.recurring.meter ? 'metered' : 'licensed',
        }
      : null,
    tax_behavior: 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: input.recurring ? 'recurring' : 'one_time',
    unit_amount: input.unitAmount,
    unit_amount_decimal: decimalString(input.unitAmount),
  };
}

/** The legacy `plan` twin of a recurring price, still present on subscription items. */
export function planFromPrice(price: Stripe.Price): Stripe.Plan {
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal,
    billing_scheme: price.billing_scheme,
    created: price.created,
    currency: price.currency,
    interval: price.recurring?.interval ?? 'month',
    interval_count: price.recurring?.interval_count ?? 1,
    livemode: false,
    metadata: price.metadata,
    meter: price.recurring?.meter ?? null,
    nickname: price.nickname,
    product: typeof price.product === 'string' ? price.product : price.product.id,
    tiers_mode: null,
    transform_usage: null,
    trial_period_days: null,
    usage_type: price.recurring?.usage_type ?? 'licensed',
  };
}

/** Metered prices bill the usage a meter aggregated over the period, in arrears; they carry no quantity. */
export function isMetered(price: Stripe.Price): boolean {
  return price.recurring?.usage_type === 'metered';
}

export function productIdOf(price: Stripe.Price): string {
  return typeof price.product === 'string' ? price.product : price.product.id;
}
