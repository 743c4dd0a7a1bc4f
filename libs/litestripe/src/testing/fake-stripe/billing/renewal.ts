import type Stripe from 'stripe';
import { AUTOMATIC } from '../event-recorder.js';
import type { FakeStripeContext } from '../fake-stripe.context.js';
import { periodEndAfter } from './billing-period.js';
import { draftSubscriptionInvoice, type InvoiceOutcome, settleInvoice } from './invoicing.js';
import { changeSubscription, currentPeriodEnd, currentPeriodStart, setPeriod } from './subscription-change.js';
import { endSubscription } from './subscription-end.js';
import { notifyTrialWillEnd } from './trial-notice.js';

const INCOMPLETE_EXPIRY_SECONDS = 23 * 3600;
const MAX_PERIODS_PER_ADVANCE = 10_000;
const DORMANT: ReadonlySet<Stripe.Subscription.Status> = new Set(['canceled', 'incomplete_expired', 'paused']);

/** Brings every subscription up to the clock: trial notices, scheduled cancellations, renewals. */
export function runDueBilling(ctx: FakeStripeContext): void {
  for (const subscription of ctx.store.subscriptions.values()) {
    for (let step = 0; step < MAX_PERIODS_PER_ADVANCE && advanceOnce(ctx, subscription); step++);
  }
}

/** Handles the next due boundary of one subscription; false when nothing (more) is due. */
function advanceOnce(ctx: FakeStripeContext, subscription: Stripe.Subscription): boolean {
  if (DORMANT.has(subscription.status)) return false;
  const now = ctx.clock.now();
  notifyTrialWillEnd(ctx, subscription);
  const periodEnd = currentPeriodEnd(subscription);
  const cancelAt = subscription.cancel_at;
  if (cancelAt !== null && cancelAt <= now && cancelAt <= periodEnd) {
    // The period closes with the subscription: its metered usage goes on a final invoice.
    endSubscription(ctx, subscription, { endedAt: cancelAt, reason: 'cancellation_requested', finalInvoiceReason: 'subscription_cycle' }, AUTOMATIC);
    return false;
  }
  if (subscription.status === 'incomplete') {
    if (subscription.created + INCOMPLETE_EXPIRY_SECONDS <= now) {
      changeSubscription(ctx, subscription, AUTOMATIC, (sub) => {
        sub.status = 'incomplete_expired';
        sub.ended_at = subscription.created + INCOMPLETE_EXPIRY_SECONDS;
      });
    }
    return false;
  }
  if (periodEnd > now) return false;
  renew(ctx, subscription, periodEnd);
  return true;
}

/**
 * Opens the next period and invoices it: licensed items in advance for `[start, end)`, metered
 * items in arrears for the usage of the period just ended (none after a trial: trial usage is free).
 */
function renew(ctx: FakeStripeContext, subscription: Stripe.Subscription, start: number): void {
  const end = periodEndAfter(start, subscription.items.data[0].price);
  const outcome = renewalOutcome(ctx, subscription, start);
  const previous = { start: currentPeriodStart(subscription), end: start };
  const usagePeriod = subscription.status === 'trialing' ? null : previous;
  let invoice: Stripe.Invoice | undefined;
  changeSubscription(ctx, subscription, AUTOMATIC, (sub) => {
    if (sub.pause_collection?.resumes_at != null && sub.pause_collection.resumes_at <= start) sub.pause_collection = null;
    setPeriod(sub, start, end);
    if (outcome === 'paid') sub.status = 'active';
    if (outcome === 'payment_failed') sub.status = 'past_due';
    invoice = draftSubscriptionInvoice(ctx, sub, { billingReason: 'subscription_cycle', trial: false, lineItemPeriod: { start, end }, usagePeriod, invoicePeriod: previous });
  });
  if (invoice) settleInvoice(ctx, invoice, outcome, AUTOMATIC);
}

function renewalOutcome(ctx: FakeStripeContext, subscription: Stripe.Subscription, periodStart: number): InvoiceOutcome {
  const pause = subscription.pause_collection;
  if (pause && (pause.resumes_at === null || pause.resumes_at > periodStart)) {
    if (pause.behavior === 'void') return 'void';
    if (pause.behavior === 'keep_as_draft') return 'draft';
    return 'uncollectible';
  }
  return ctx.store.failingCustomers.has(subscription.customer as string) ? 'payment_failed' : 'paid';
}
