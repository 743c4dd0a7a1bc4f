import type Stripe from 'stripe';
import { AUTOMATIC } from '../event-recorder.js';
import type { FakeStripeContext } from '../fake-stripe.context.js';
import { isMetered } from '../objects/price.object.js';
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
  /** Price id or lookup key for the first licensed item (the first item if all are metered). */
  price?: string;
  /** For the first licensed item; metered items carry no quantity. */
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
  const position = Math.max(0, subscription.items.data.findIndex((item) => !isMetered(item.price)));
  if (patch.quantity !== undefined && isMetered(price ?? subscription.items.data[position].price)) {
    throw new Error(`FakeStripe: cannot set a quantity on a metered item of subscription ${subscription.id} (metered items carry none)`);
  }
  changeSubscription(ctx, subscription, AUTOMATIC, (sub) => {
    if (price || patch.quantity !== undefined) {
      const target = sub.items.data[position];
      const changed = price ? withPrice(target, price) : target;
      const quantity = patch.quantity === undefined ? {} : { quantity: patch.quantity };
      sub.items.data = sub.items.data.map((item, index) => (index === position ? { ...changed, ...quantity } : item));
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
