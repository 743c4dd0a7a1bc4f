import type Stripe from 'stripe';
import { invoiceSummary, isProrationLine } from './invoice-summary.js';
import { invoiceSubscriptionId } from '../state/stripe-payload.js';

/** An invoice as Stripe sends it, reduced to what the mapper reads. */
function invoice(fields: Record<string, unknown>): Stripe.Invoice {
  return {
    id: 'in_1',
    number: 'ABC-0001',
    status: 'paid',
    amount_due: 1200,
    amount_paid: 1200,
    total: 1200,
    currency: 'eur',
    period_start: 1_800_000_000,
    period_end: 1_802_592_000,
    created: 1_802_592_100,
    hosted_invoice_url: 'https://invoice.stripe.com/i/acct_1/test_1',
    invoice_pdf: 'https://pay.stripe.com/invoice/acct_1/test_1/pdf',
    parent: null,
    ...fields,
  } as unknown as Stripe.Invoice;
}

describe('invoiceSummary', () => {
  it('maps amounts, dates and URLs', () => {
    expect(invoiceSummary(invoice({ parent: { type: 'subscription_details', subscription_details: { subscription: 'sub_new' } } }))).toEqual({
      id: 'in_1',
      number: 'ABC-0001',
      status: 'paid',
      amountDue: 1200,
      amountPaid: 1200,
      total: 1200,
      currency: 'eur',
      periodStart: new Date(1_800_000_000_000),
      periodEnd: new Date(1_802_592_000_000),
      created: new Date(1_802_592_100_000),
      hostedInvoiceUrl: 'https://invoice.stripe.com/i/acct_1/test_1',
      invoicePdf: 'https://pay.stripe.com/invoice/acct_1/test_1/pdf',
      subscriptionId: 'sub_new',
    });
  });

  it('reads the subscription of both shapes, expanded or not, and of none', () => {
    expect(invoiceSubscriptionId(invoice({ subscription: 'sub_old' }))).toBe('sub_old');
    expect(invoiceSubscriptionId(invoice({ subscription: { id: 'sub_old_expanded' } }))).toBe('sub_old_expanded');
    expect(invoiceSubscriptionId(invoice({ parent: { subscription_details: { subscription: { id: 'sub_new_expanded' } } } }))).toBe('sub_new_expanded');
    expect(invoiceSubscriptionId(invoice({ parent: { type: 'quote_details', subscription_details: null } }))).toBeNull();
    expect(invoiceSummary(invoice({ hosted_invoice_url: undefined, invoice_pdf: undefined, number: null }))).toMatchObject({ hostedInvoiceUrl: null, invoicePdf: null, number: null, subscriptionId: null });
  });
});

describe('isProrationLine', () => {
  const line = (fields: Record<string, unknown>) => fields as unknown as Stripe.InvoiceLineItem;
  it('reads the flag under parent (subscription item or invoice item), else the older top-level one', () => {
    expect(isProrationLine(line({ parent: { subscription_item_details: { proration: true }, invoice_item_details: null } }))).toBe(true);
    expect(isProrationLine(line({ parent: { subscription_item_details: null, invoice_item_details: { proration: true } } }))).toBe(true);
    expect(isProrationLine(line({ parent: { subscription_item_details: { proration: false } } }))).toBe(false);
    expect(isProrationLine(line({ proration: true }))).toBe(true);
    expect(isProrationLine(line({}))).toBe(false);
  });
});
