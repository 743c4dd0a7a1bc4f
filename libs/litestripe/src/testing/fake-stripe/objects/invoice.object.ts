import type Stripe from 'stripe';
import { stripeId } from '../ids.js';
import { listEnvelope } from '../list-page.js';
import { productIdOf } from './price.object.js';
import { decimalString } from './wire.js';

/** One line of a subscription invoice: a licensed item for the period ahead, or a metered item's usage for the period behind. */
export interface SubscriptionLineInput {
  item: Stripe.SubscriptionItem;
  quantity: number;
  /** Minor units per unit of quantity (0 for a trial). */
  unitAmount: number;
  period: { start: number; end: number };
  description: string;
  /** A proration of a mid-period change (`parent.subscription_item_details.proration`). */
  proration?: boolean;
}

export interface SubscriptionInvoiceInput {
  subscription: Stripe.Subscription;
  customer: Stripe.Customer;
  billingReason: Stripe.Invoice.BillingReason;
  created: number;
  lines: SubscriptionLineInput[];
  /** `in_...` unless given (a preview's is `upcoming_in_...`). */
  id?: string;
  /** `period_start`/`period_end`: for a renewal the period just ended; `created` for both unless given. */
  period?: { start: number; end: number };
}

/** A draft invoice for a subscription, in the 2025+ shape (`parent.subscription_details`, per-line `parent`). */
export function buildSubscriptionInvoice(input: SubscriptionInvoiceInput): Stripe.Invoice {
  const id = input.id ?? stripeId('in');
  const { subscription, customer } = input;
  const lines = input.lines.map((line) => buildLine(id, subscription, line));
  const total = lines.reduce((sum, line) => sum + line.amount, 0);
  return {
    id,
    object: 'invoice',
    account_country: 'US',
    account_name: 'Fake Stripe',
    account_tax_ids: null,
    amount_due: total,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_remaining: total,
    amount_shipping: 0,
    application: null,
    attempt_count: 0,
    attempted: false,
    auto_advance: true,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: null,
    billing_reason: input.billingReason,
    collection_method: 'charge_automatically',
    created: input.created,
    currency: subscription.currency,
    custom_fields: null,
    customer: customer.id,
    customer_account: null,
    customer_address: null,
    customer_email: customer.email,
    customer_name: customer.name ?? null,
    customer_phone: customer.phone ?? null,
    customer_shipping: null,
    customer_tax_exempt: 'none',
    customer_tax_ids: [],
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    due_date: null,
    effective_at: null,
    ending_balance: null,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: listEnvelope(`/v1/invoices/${id}/lines`, lines),
    livemode: false,
    metadata: {},
    next_payment_attempt: null,
    number: null,
    on_behalf_of: null,
    parent: {
      quote_details: null,
      subscription_details: { metadata: { ...subscription.metadata }, subscription: subscription.id },
      type: 'subscription_details',
    },
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: input.period?.end ?? input.created,
    period_start: input.period?.start ?? input.created,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: 'draft',
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subtotal: total,
    subtotal_excluding_tax: total,
    test_clock: null,
    total,
    total_discount_amounts: [],
    total_excluding_tax: total,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: null,
  };
}

function buildLine(invoiceId: string, subscription: Stripe.Subscription, line: SubscriptionLineInput): Stripe.InvoiceLineItem {
  const { item, quantity, unitAmount } = line;
  // Usage may be fractional (decimal meter values); amounts are whole minor units.
  const amount = Math.round(unitAmount * quantity);
  return {
    id: stripeId('il'),
    object: 'line_item',
    amount,
    currency: subscription.currency,
    description: line.description,
    discount_amounts: [],
    discountable: true,
    discounts: [],
    invoice: invoiceId,
    livemode: false,
    metadata: { ...subscription.metadata },
    parent: {
      invoice_item_details: null,
      subscription_item_details: {
        invoice_item: null,
        proration: line.proration ?? false,
        proration_details: { credited_items: null },
        subscription: subscription.id,
        subscription_item: item.id,
      },
      type: 'subscription_item_details',
    },
    period: { ...line.period },
    pretax_credit_amounts: [],
    pricing: {
      price_details: { price: item.price.id, product: productIdOf(item.price) },
      type: 'price_details',
      unit_amount_decimal: decimalString(unitAmount),
    },
    quantity: Math.trunc(quantity),
    quantity_decimal: decimalString(quantity),
    subscription: subscription.id,
    subtotal: amount,
    taxes: [],
  };
}
