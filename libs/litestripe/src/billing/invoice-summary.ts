import type Stripe from 'stripe';
import { idOf, invoiceSubscriptionId } from '../state/stripe-payload.js';

/** One invoice as a billing-history page shows it, read from Stripe (nothing about invoices is stored). */
export interface InvoiceSummary {
  /** `in_...`: pass the last one's as `startingAfter` for the next page. */
  id: string;
  /** The number printed on the invoice (e.g. `ABCD1234-0002`); null until Stripe finalizes it. */
  number: string | null;
  /** `open`, `paid`, `uncollectible` or `void` (drafts are not listed). */
  status: Stripe.Invoice.Status | null;
  /** Minor units of `currency`, as every amount here. */
  amountDue: number;
  amountPaid: number;
  total: number;
  currency: string;
  /**
   * Stripe's invoice period (`period_start`/`period_end`): for a subscription's renewal, the period
   * just ended (when metered usage accrued), not the period its fixed price pays for ahead.
   */
  periodStart: Date;
  periodEnd: Date;
  created: Date;
  /** Stripe's page where the customer views and pays the invoice; null for a draft. */
  hostedInvoiceUrl: string | null;
  /** The invoice's PDF; null for a draft. */
  invoicePdf: string | null;
  /** The subscription the invoice bills, if any. */
  subscriptionId: string | null;
}

/** Maps a Stripe invoice of any API version since 2020 (the subscription moved under `parent` in 2025). */
export function invoiceSummary(invoice: Stripe.Invoice): InvoiceSummary {
  return {
    id: invoice.id as string,
    number: invoice.number ?? null,
    status: invoice.status ?? null,
    amountDue: invoice.amount_due,
    amountPaid: invoice.amount_paid,
    total: invoice.total,
    currency: invoice.currency,
    periodStart: dateOf(invoice.period_start),
    periodEnd: dateOf(invoice.period_end),
    created: dateOf(invoice.created),
    hostedInvoiceUrl: invoice.hosted_invoice_url ?? null,
    invoicePdf: invoice.invoice_pdf ?? null,
    subscriptionId: invoiceSubscriptionId(invoice),
  };
}

/** Whether a line is a proration: `parent.subscription_item_details.proration` or `parent.invoice_item_details.proration` (2025+), else the older `proration`. */
export function isProrationLine(line: Stripe.InvoiceLineItem): boolean {
  const parent = line.parent;
  const flag = parent?.subscription_item_details?.proration ?? parent?.invoice_item_details?.proration ?? (line as { proration?: boolean }).proration;
  return flag === true;
}

export function dateOf(unixSeconds: number): Date {
  return new Date(unixSeconds * 1000);
}
