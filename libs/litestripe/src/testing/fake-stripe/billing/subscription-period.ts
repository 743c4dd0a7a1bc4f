import type Stripe from 'stripe';
import type { FakeStripeContext } from '../fake-stripe.context.js';
import { periodEndAfter } from './billing-period.js';
import { draftSubscriptionInvoice } from './invoicing.js';
import { currentPeriodStart, setPeriod } from './subscription-change.js';

/**
 * A new billing period starting now, with its invoice (e.g. after an interval change or a resume).
 * With `billUsage` the invoice also bills the metered usage of the period cut short (callers
 * leave it off when that period was a trial, whose usage is free).
 */
export function restartPeriod(ctx: FakeStripeContext, sub: Stripe.Subscription, now: number, billUsage = false): Stripe.Invoice {
  const end = periodEndAfter(now, sub.items.data[0].price);
  const usagePeriod = billUsage ? { start: currentPeriodStart(sub), end: now } : null;
  setPeriod(sub, now, end);
  sub.billing_cycle_anchor = now;
  return draftSubscriptionInvoice(ctx, sub, { billingReason: 'subscription_update', trial: false, lineItemPeriod: { start: now, end }, usagePeriod });
}

/** `trial_end=now` ends the trial and bills; a future timestamp (re)starts or extends it. */
export function applyTrialEnd(ctx: FakeStripeContext, sub: Stripe.Subscription, trialEnd: number | null, now: number): Stripe.Invoice | undefined {
  if (trialEnd === null) return undefined;
  if (trialEnd <= now) {
    if (sub.status !== 'trialing') return undefined;
    sub.status = 'active';
    sub.trial_end = now;
    return restartPeriod(ctx, sub, now);
  }
  sub.status = 'trialing';
  sub.trial_start = sub.trial_start ?? now;
  sub.trial_end = trialEnd;
  sub.billing_cycle_anchor = trialEnd;
  setPeriod(sub, sub.items.data[0].current_period_start, trialEnd);
  ctx.store.trialWillEndSent.delete(sub.id);
  return undefined;
}
