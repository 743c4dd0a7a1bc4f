import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Builders of Stripe objects, starting from real payloads in test/fixtures/stripe and overriding what a scenario needs. */

const FIXTURES = join(__dirname, '..', 'fixtures', 'stripe');
type Json = Record<string, any>;

export function fixture(name: string): Json {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));
}

/** Payload shapes: `current` (API 2025-03-31 and later) or `legacy` (2020-08-27 Stripe CLI captures). */
export type PayloadShape = 'current' | 'legacy';

export interface SubscriptionState {
  id: string;
  customer: string;
  status: string;
  priceId?: string;
  productId?: string;
  lookupKey?: string | null;
  quantity?: number;
  periodStart?: number;
  periodEnd?: number;
  trialStart?: number | null;
  trialEnd?: number | null;
  cancelAtPeriodEnd?: boolean;
  cancelAt?: number | null;
  canceledAt?: number | null;
  endedAt?: number | null;
  pauseCollection?: { behavior: string } | null;
  metadata?: Record<string, string>;
  livemode?: boolean;
}

const DAY = 86_400;

export function subscriptionObject(state: SubscriptionState, shape: PayloadShape = 'current'): Json {
  const periodStart = state.periodStart ?? 1_760_000_000;
  const periodEnd = state.periodEnd ?? periodStart + 30 * DAY;
  const price = { id: state.priceId ?? 'price_pro_monthly', product: state.productId ?? 'prod_pro', lookup_key: state.lookupKey ?? null };
  const common = {
    id: state.id,
    customer: state.customer,
    status: state.status,
    cancel_at_period_end: state.cancelAtPeriodEnd ?? false,
    cancel_at: state.cancelAt ?? null,
    canceled_at: state.canceledAt ?? null,
    ended_at: state.endedAt ?? null,
    trial_start: state.trialStart ?? null,
    trial_end: state.trialEnd ?? null,
    pause_collection: state.pauseCollection ?? null,
    metadata: state.metadata ?? {},
    livemode: state.livemode ?? false,
  };
  if (shape === 'current') {
    const base = fixture('openapi-subscription.json');
    const item = { ...base.items.data[0], subscription: state.id, quantity: state.quantity ?? 1, current_period_start: periodStart, current_period_end: periodEnd };
    item.price = { ...item.price, ...price };
    delete item.plan;
    return { ...base, ...common, items: { ...base.items, data: [item] } };
  }
  const base = fixture('ruby-mock-customer.subscription.created.json').data.object;
  const item = { ...base.items.data[0], subscription: state.id, quantity: state.quantity ?? 1 };
  item.price = { ...item.price, ...price };
  item.plan = { ...item.plan, id: price.id, product: price.product };
  return {
    ...base,
    ...common,
    current_period_start: periodStart,
    current_period_end: periodEnd,
    quantity: state.quantity ?? 1,
    plan: item.plan,
    items: { ...base.items, data: [item] },
  };
}

export interface CheckoutState {
  id: string;
  subscription: string;
  customer: string;
  clientReferenceId?: string | null;
  email?: string | null;
  amountTotal?: number;
  metadata?: Record<string, string>;
  created?: number;
}

/** A completed subscription-mode Checkout Session (pay-rails' real capture). */
export function checkoutSessionObject(state: CheckoutState): Json {
  const base = fixture('pay-checkout.session.completed.json').object;
  return {
    ...base,
    id: state.id,
    subscription: state.subscription,
    customer: state.customer,
    client_reference_id: state.clientReferenceId ?? null,
    customer_details: { ...base.customer_details, email: state.email === undefined ? 'payer@example.com' : state.email },
    amount_total: state.amountTotal ?? base.amount_total,
    metadata: state.metadata ?? {},
    created: state.created ?? base.created ?? 1_760_000_000,
  };
}

export interface InvoiceState {
  id: string;
  subscription: string | null;
  customer: string;
  amount?: number;
}

/** An invoice of a subscription: `current` from pay-rails' 2025 capture, `legacy` from Stripe CLI's 2020 one. */
export function invoiceObject(state: InvoiceState, shape: PayloadShape = 'current'): Json {
  if (shape === 'current') {
    const base = fixture('pay-invoice.payment_failed.json').object;
    const parent = state.subscription
      ? { ...base.parent, subscription_details: { ...base.parent.subscription_details, subscription: state.subscription } }
      : null;
    return { ...base, id: state.id, customer: state.customer, parent, amount_paid: state.amount ?? 1900, amount_due: state.amount ?? 1900 };
  }
  const base = fixture('ruby-mock-invoice.created.json').data.object;
  return { ...base, id: state.id, customer: state.customer, subscription: state.subscription, amount_paid: state.amount ?? 1900, amount_due: state.amount ?? 1900 };
}
