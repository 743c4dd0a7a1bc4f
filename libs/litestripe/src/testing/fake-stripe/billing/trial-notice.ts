import type Stripe from 'stripe';
import { AUTOMATIC } from '../event-recorder.js';
import type { FakeStripeContext } from '../fake-stripe.context.js';
import { TRIAL_WILL_END_NOTICE_SECONDS } from './billing-period.js';

/** Stripe warns three days before a trial ends (at once for shorter trials), once per subscription. */
export function notifyTrialWillEnd(ctx: FakeStripeContext, subscription: Stripe.Subscription): void {
  if (subscription.status !== 'trialing' || subscription.trial_end === null) return;
  if (ctx.store.trialWillEndSent.has(subscription.id)) return;
  if (subscription.trial_end - TRIAL_WILL_END_NOTICE_SECONDS > ctx.clock.now()) return;
  ctx.store.trialWillEndSent.add(subscription.id);
  ctx.events.record('customer.subscription.trial_will_end', subscription, AUTOMATIC);
}
