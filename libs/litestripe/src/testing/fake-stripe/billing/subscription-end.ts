import type Stripe from 'stripe';
import type { FakeStripeContext } from '../fake-stripe.context.js';
import { changeSubscription } from './subscription-change.js';

export interface SubscriptionEnding {
  endedAt: number;
  /** When the cancellation was requested; defaults to the one already recorded, else `endedAt`. */
  canceledAt?: number;
  reason: Stripe.Subscription.CancellationDetails.Reason;
  comment?: string | null;
  feedback?: Stripe.Subscription.CancellationDetails.Feedback | null;
}

/** Cancels now (DELETE) or at a scheduled `cancel_at`; records `customer.subscription.deleted`. */
export function endSubscription(
  ctx: FakeStripeContext,
  subscription: Stripe.Subscription,
  ending: SubscriptionEnding,
  request: Stripe.Event.Request,
): Stripe.Subscription {
  return changeSubscription(ctx, subscription, request, (sub) => {
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
  });
}
