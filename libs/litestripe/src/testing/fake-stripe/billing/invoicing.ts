import type Stripe from 'stripe';
import type { FakeStripeContext } from '../fake-stripe.context.js';
import { buildSubscriptionInvoice } from '../objects/invoice.object.js';
import { type BillingPeriod, subscriptionLines } from './invoice-lines.js';

/** How a simulated invoice ends: paid, declined, or handled per `pause_collection.behavior`. */
export type InvoiceOutcome = 'paid' | 'payment_failed' | 'void' | 'uncollectible' | 'draft';

export interface DraftInvoiceOptions {
  billingReason: Stripe.Invoice.BillingReason;
  trial: boolean;
  /** The period licensed items are billed for, in advance; null for none (a final usage invoice). */
  lineItemPeriod: BillingPeriod | null;
  /** The period just ended, whose usage metered items bill in arrears; absent or null for none. */
  usagePeriod?: BillingPeriod | null;
  /** The invoice's own `period_start`/`period_end` (a renewal's: the period just ended); its creation time for both if absent. */
  invoicePeriod?: BillingPeriod;
}

/** Creates and stores the draft and points the subscription's `latest_invoice` at it. */
export function draftSubscriptionInvoice(ctx: FakeStripeContext, subscription: Stripe.Subscription, options: DraftInvoiceOptions): Stripe.Invoice {
  const customer = ctx.store.customers.get(subscription.customer as string);
  if (!customer) throw new Error(`Subscription ${subscription.id} has no customer ${String(subscription.customer)}`);
  const invoice = buildSubscriptionInvoice({
    subscription,
    customer,
    billingReason: options.billingReason,
    created: ctx.clock.now(),
    lines: subscriptionLines(ctx, subscription, { licensedPeriod: options.lineItemPeriod, trial: options.trial, usagePeriod: options.usagePeriod ?? null }),
    period: options.invoicePeriod,
  });
  ctx.store.invoices.add(invoice);
  subscription.latest_invoice = invoice.id;
  return invoice;
}

/** Walks the draft through Stripe's lifecycle, recording the event of each step. */
export function settleInvoice(ctx: FakeStripeContext, invoice: Stripe.Invoice, outcome: InvoiceOutcome, request: Stripe.Event.Request): void {
  const now = ctx.clock.now();
  const record = (type: Stripe.Event.Type) => ctx.events.record(type, invoice, request);
  record('invoice.created');
  if (outcome === 'draft') return;
  if (outcome === 'void') {
    Object.assign(invoice, { status: 'void', amount_remaining: 0 });
    invoice.status_transitions.voided_at = now;
    record('invoice.voided');
    return;
  }
  // Finalizing gives the invoice its number and its hosted page and PDF (served by the fake's hosted pages).
  const page = `${ctx.baseUrl()}/invoices/${invoice.id}`;
  Object.assign(invoice, { status: 'open', number: nextInvoiceNumber(ctx, invoice), effective_at: now, hosted_invoice_url: page, invoice_pdf: `${page}/pdf` });
  invoice.status_transitions.finalized_at = now;
  record('invoice.finalized');
  if (outcome === 'paid') {
    Object.assign(invoice, { status: 'paid', amount_paid: invoice.total, amount_remaining: 0, attempted: true, attempt_count: invoice.total > 0 ? 1 : 0 });
    invoice.status_transitions.paid_at = now;
    record('invoice.paid');
    record('invoice.payment_succeeded');
  } else if (outcome === 'payment_failed') {
    Object.assign(invoice, { attempted: true, attempt_count: 1, next_payment_attempt: now + 3 * 86_400 });
    record('invoice.payment_failed');
  } else {
    Object.assign(invoice, { status: 'uncollectible' });
    invoice.status_transitions.marked_uncollectible_at = now;
    record('invoice.marked_uncollectible');
  }
}

function nextInvoiceNumber(ctx: FakeStripeContext, invoice: Stripe.Invoice): string {
  const customer = ctx.store.customers.get(invoice.customer as string);
  const sequence = customer?.next_invoice_sequence ?? 1;
  if (customer) customer.next_invoice_sequence = sequence + 1;
  return `${customer?.invoice_prefix ?? 'FAKE'}-${String(sequence).padStart(4, '0')}`;
}
