import type Stripe from 'stripe';
import { AUTOMATIC } from '../event-recorder.js';
import type { FakeStripeContext } from '../fake-stripe.context.js';
import { withPrice } from '../objects/subscription-item.object.js';
import { changeSubscription, currentPeriodEnd, currentPeriodStart, setCancelAtPeriodEnd, setPeriod } from './subscription-change.js';

/** A change Stripe makes on its own (dunning, pausing, period moves), for `fake.updateSubscription`. */
export interface SubscriptionPatch {
  status?: Stripe.Subscription.Status;
  /** Merged into the current metadata; an empty string removes a key. */
  metadata?: Record<string, string>;
  cancel_at_period_end?: boolean;
  cancel_at?: number | null;
  pause_collection?: Stripe.Subscription.PauseCollection | null;
  trial_end?: number | null;
  /** Applied to every item. */
  current_period_start?: number;
  current_period_end?: number;
  /** Price id or lookup key for the first item. */
  price?: string;
  quantity?: number;
  latest_invoice?: string | null;
}

const ENDED: ReadonlySet<string> = new Set(['canceled', 'incomplete_expired']);

export function applySubscriptionPatch(
  ctx: FakeStripeContext,
  subscription: Stripe.Subscription,
  patch: SubscriptionPatch,
  findPrice: (idOrLookupKey: string) => Stripe.Price,
): void {
  const now = ctx.clock.now();
  const price = patch.price === undefined ? undefined : findPrice(patch.price);
  changeSubscription(ctx, subscription, AUTOMATIC, (sub) => {
    const [first, ...rest] = sub.items.data;
    if (price || patch.quantity !== undefined) {
      const changed = price ? withPrice(first, price) : first;
      sub.items.data = [{ ...changed, quantity: patch.quantity ?? changed.quantity }, ...rest];
    }
    if (patch.current_period_start !== undefined || patch.current_period_end !== undefined) {
      setPeriod(sub, patch.current_period_start ?? currentPeriodStart(sub), patch.current_period_end ?? currentPeriodEnd(sub));
    }
    if (patch.cancel_at_period_end !== undefined) setCancelAtPeriodEnd(sub, patch.cancel_at_period_end, now);
    if (patch.cancel_at !== undefined) sub.cancel_at = patch.cancel_at;
    if (patch.pause_collection !== undefined) sub.pause_collection = patch.pause_collection;
    if (patch.trial_end !== undefined) sub.trial_end = patch.trial_end;
    if (patch.latest_invoice !== undefined) sub.latest_invoice = patch.latest_invoice;
    if (patch.metadata) sub.metadata = mergeMetadata(sub.metadata, patch.metadata);
    if (patch.status !== undefined) {
      sub.status = patch.status;
      if (ENDED.has(patch.status)) {
        sub.ended_at = sub.ended_at ?? now;
        sub.canceled_at = sub.canceled_at ?? now;
      }
    }
  });
}

function mergeMetadata(current: Stripe.Metadata, patch: Record<string, string>): Stripe.Metadata {
  const next = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === '') delete next[key];
    else next[key] = value;
  }
  return next;
}
