import type Stripe from 'stripe';
import type { FakeStripeContext } from '../fake-stripe.context.js';
import { hasMeteredItems } from './invoice-lines.js';
import { draftSubscriptionInvoice, settleInvoice } from './invoicing.js';
import { changeSubscription, currentPeriodStart } from './subscription-change.js';

export interface SubscriptionEnding {
  endedAt: number;
  /** When the cancellation was requested; defaults to the one already recorded, else `endedAt`. */
  canceledAt?: number;
  reason: Stripe.Subscription.CancellationDetails.Reason;
  comment?: string | null;
  feedback?: Stripe.Subscription.CancellationDetails.Feedback | null;
  /**
   * Bills the metered items' usage from the period start to `endedAt` on a final invoice with this
   * reason (Stripe does at a scheduled end, and on `DELETE` with `invoice_now`); trials bill none.
   * Without it the usage of the unfinished period is dropped, as on a plain `DELETE`.
   */
  finalInvoiceReason?: Stripe.Invoice.BillingReason;
}

/** Cancels now (DELETE) or at a scheduled `cancel_at`; records `customer.subscription.deleted` (then the final invoice's events). */
export function endSubscription(
  ctx: FakeStripeContext,
  subscription: Stripe.Subscription,
  ending: SubscriptionEnding,
  request: Stripe.Event.Request,
): Stripe.Subscription {
  const finalInvoiceReason = subscription.status !== 'trialing' && hasMeteredItems(subscription) ? ending.finalInvoiceReason : undefined;
  const usagePeriod = { start: currentPeriodStart(subscription), end: ending.endedAt };
  let invoice: Stripe.Invoice | undefined;
  changeSubscription(ctx, subscription, request, (sub) => {
    const details = sub.cancellation_details ?? { comment: null, feedback: null, feedback_option: null, reason: null };
    sub.status = 'canceled';
    sub.ended_at = ending.endedAt;
    sub.canceled_at = ending.canceledAt ?? sub.canceled_at ?? ending.endedAt;
    sub.cancellation_details = {
      ...details,
      reason: ending.reason,
      comment: ending.comment ?? details.comment,
      feedback: ending.feedback ?? details.feedback,
    };
    if (finalInvoiceReason) {
      invoice = draftSubscriptionInvoice(ctx, sub, { billingReason: finalInvoiceReason, trial: false, lineItemPeriod: null, usagePeriod });
    }
  });
  if (invoice) settleInvoice(ctx, invoice, ctx.store.failingCustomers.has(subscription.customer as string) ? 'payment_failed' : 'paid', request);
  return subscription;
}
