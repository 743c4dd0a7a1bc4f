import { stripeId } from '@litestripe/nestjs/testing';

/**
 * Stripe objects as a webhook endpoint on the current API version receives them, trimmed to the
 * fields that matter here. Since 2025-03-31 the billing period sits on the subscription items and
 * an invoice names its subscription under `parent.subscription_details`.
 */

const PRICE = { id: 'price_demo_pro_monthly', object: 'price', product: 'prod_demo_pro', lookup_key: 'pro_monthly', currency: 'usd', unit_amount: 1900, recurring: { interval: 'month', interval_count: 1 } };

/** One customer's ids, and when they subscribed (unix seconds). */
export interface SandboxCustomer {
  customerId: string;
  subscriptionId: string;
  itemId: string;
  since: number;
}

export function newCustomer(since: number): SandboxCustomer {
  return { customerId: stripeId('cus'), subscriptionId: stripeId('sub'), itemId: stripeId('si'), since };
}

export function checkoutSession(c: SandboxCustomer, accountRef: string | null, email: string) {
  return {
    id: stripeId('cs'),
    object: 'checkout.session',
    mode: 'subscription',
    status: 'complete',
    payment_status: 'paid',
    client_reference_id: accountRef,
    customer: c.customerId,
    customer_details: { email, name: null },
    subscription: c.subscriptionId,
    amount_total: PRICE.unit_amount,
    currency: PRICE.currency,
    created: c.since,
    livemode: false,
    metadata: {},
  };
}

export interface SubscriptionState {
  status: 'active' | 'canceled';
  periodStart: number;
  periodEnd: number;
  cancelAtPeriodEnd?: boolean;
  endedAt?: number;
}

export function subscription(c: SandboxCustomer, s: SubscriptionState) {
  return {
    id: c.subscriptionId,
    object: 'subscription',
    customer: c.customerId,
    status: s.status,
    created: c.since,
    start_date: c.since,
    currency: PRICE.currency,
    items: {
      object: 'list',
      data: [{ id: c.itemId, object: 'subscription_item', subscription: c.subscriptionId, price: PRICE, quantity: 1, current_period_start: s.periodStart, current_period_end: s.periodEnd }],
      has_more: false,
    },
    cancel_at_period_end: s.cancelAtPeriodEnd ?? false,
    cancel_at: s.cancelAtPeriodEnd ? s.periodEnd : null,
    canceled_at: s.endedAt ?? null,
    ended_at: s.endedAt ?? null,
    trial_start: null,
    trial_end: null,
    pause_collection: null,
    metadata: {},
    livemode: false,
  };
}

export function paidInvoice(c: SandboxCustomer, created: number, periodStart: number, periodEnd: number) {
  return {
    id: stripeId('in'),
    object: 'invoice',
    customer: c.customerId,
    status: 'paid',
    amount_due: PRICE.unit_amount,
    amount_paid: PRICE.unit_amount,
    currency: PRICE.currency,
    billing_reason: 'subscription_create',
    parent: { type: 'subscription_details', subscription_details: { subscription: c.subscriptionId, metadata: {} }, quote_details: null },
    period_start: periodStart,
    period_end: periodEnd,
    created,
    livemode: false,
  };
}
