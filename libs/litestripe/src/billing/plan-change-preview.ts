import type Stripe from 'stripe';
import { dateOf, isProrationLine } from './invoice-summary.js';

/** One line of a previewed invoice. */
export interface PlanChangePreviewLine {
  description: string | null;
  /** Minor units; negative for a credit (unused time on the old price). */
  amount: number;
  /** A proration of the change (credit for unused time, charge for the time left), not a regular period's charge. */
  proration: boolean;
  periodStart: Date;
  periodEnd: Date;
}

/** What a plan change would bill, from Stripe's invoice preview; nothing changes and nothing is stored. */
export interface PlanChangePreview {
  subscriptionId: string;
  /** The plan previewed. */
  plan: string;
  /** The plan's price the subscription's licensed item would move to. */
  price: string;
  currency: string;
  /** What the previewed invoice would collect, after the customer's credit balance. Minor units, as every amount here. */
  amountDue: number;
  total: number;
  /**
   * The sum of the proration lines: positive for an upgrade (more for the time left than the credit
   * for the old price's unused time), negative for a downgrade, 0 with `proration: 'none'` or when
   * the subscription is on that price already.
   */
  prorationAmount: number;
  /**
   * When Stripe would collect the previewed invoice: with `create_prorations` the next renewal's
   * invoice, which carries the prorations; with `always_invoice` an invoice now. Null when Stripe
   * gives none (e.g. `send_invoice` collection).
   */
  nextPaymentAttempt: Date | null;
  /** The end of the previewed invoice's period (the current period's end for the next renewal's invoice). */
  periodEnd: Date | null;
  /** The previewed invoice's lines as Stripe returns them with the preview (prorations first). */
  lines: PlanChangePreviewLine[];
}

export function planChangePreview(invoice: Stripe.Invoice, change: { subscriptionId: string; plan: string; price: string }): PlanChangePreview {
  const lines = invoice.lines.data.map(previewLine);
  return {
    ...change,
    currency: invoice.currency,
    amountDue: invoice.amount_due,
    total: invoice.total,
    prorationAmount: lines.filter((line) => line.proration).reduce((sum, line) => sum + line.amount, 0),
    nextPaymentAttempt: invoice.next_payment_attempt ? dateOf(invoice.next_payment_attempt) : null,
    periodEnd: invoice.period_end ? dateOf(invoice.period_end) : null,
    lines,
  };
}

function previewLine(line: Stripe.InvoiceLineItem): PlanChangePreviewLine {
  return {
    description: line.description ?? null,
    amount: line.amount,
    proration: isProrationLine(line),
    periodStart: dateOf(line.period.start),
    periodEnd: dateOf(line.period.end),
  };
}
