import { PauseBehavior, SubscriptionStatus } from '../entities/stripe-subscription.entity.js';
import { dateOf, idOf, listOf, numberOf, objectOf, StripePayload, stringOf, stringRecordOf, timestampOf } from './stripe-payload.js';
import { PayloadRangeError } from '../errors/payload-range.error.js';
import { UnreadablePayloadError } from '../errors/unreadable-payload.error.js';

/** What a subscription payload says about the subscription, read from either API shape. */
export interface SubscriptionSnapshot {
  id: string;
  customerId: string | null;
  status: SubscriptionStatus;
  priceId: string | null;
  productId: string | null;
  lookupKey: string | null;
  quantity: number | null;
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  trialStart: Date | null;
  trialEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  cancelAt: Date | null;
  canceledAt: Date | null;
  endedAt: Date | null;
  pauseBehavior: PauseBehavior | null;
  pauseResumesAt: Date | null;
  livemode: boolean;
  metadata: Record<string, string>;
}

const STATUSES: readonly SubscriptionStatus[] = ['incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused'];

/** Statuses a subscription never leaves. */
export const TERMINAL_STATUSES: readonly SubscriptionStatus[] = ['canceled', 'incomplete_expired'];

/**
 * Lifecycle position of a status. Two events of the same second are applied in this order, so
 * that `canceled` after `active` (or `past_due` after a renewal) wins a tie.
 */
export const STATUS_RANK: Readonly<Record<SubscriptionStatus, number>> = {
  incomplete: 0,
  trialing: 1,
  active: 2,
  past_due: 3,
  unpaid: 4,
  paused: 4,
  canceled: 9,
  incomplete_expired: 9,
};

export function readSubscription(payload: StripePayload): SubscriptionSnapshot {
  const id = stringOf(payload.id);
  const status = payload.status as SubscriptionStatus;
  if (!id?.startsWith('sub_') || !STATUSES.includes(status)) {
    throw new UnreadablePayloadError(`not a subscription object (id ${JSON.stringify(payload.id)}, status ${JSON.stringify(payload.status)})`);
  }
  const items = listOf(payload.items);
  const firstItem = licensedItemOf(items) ?? {};
  // Before 2018-02 an item held a `plan`; later a `price`. The subscription-level `plan` is older still.
  const price = objectOf(firstItem.price) ?? objectOf(firstItem.plan) ?? objectOf(payload.plan);
  return {
    id,
    customerId: idOf(payload.customer),
    status,
    priceId: idOf(price),
    productId: idOf(price?.product),
    lookupKey: stringOf(price?.lookup_key),
    quantity: quantityOf(firstItem.quantity, 'items.data[0].quantity') ?? quantityOf(payload.quantity, 'quantity'),
    ...readPeriod(payload, items),
    trialStart: dateOf(payload.trial_start, 'trial_start'),
    trialEnd: dateOf(payload.trial_end, 'trial_end'),
    cancelAtPeriodEnd: payload.cancel_at_period_end === true,
    cancelAt: dateOf(payload.cancel_at, 'cancel_at'),
    canceledAt: dateOf(payload.canceled_at, 'canceled_at'),
    endedAt: dateOf(payload.ended_at, 'ended_at'),
    ...readPause(objectOf(payload.pause_collection)),
    livemode: payload.livemode === true,
    metadata: stringRecordOf(payload.metadata),
  };
}

/**
 * The item the plan is read from: the first licensed one. A metered item (billed for use, after the
 * period) rides beside the plan's price; it is the plan only when the subscription has nothing else.
 */
function licensedItemOf(items: StripePayload[]): StripePayload | undefined {
  return items.find((item) => usageTypeOf(item) !== 'metered') ?? items[0];
}

/** `licensed` or `metered`: on the item's price (`recurring.usage_type`), or its legacy `plan`. */
function usageTypeOf(item: StripePayload): string | null {
  return stringOf(objectOf(objectOf(item.price)?.recurring)?.usage_type) ?? stringOf(objectOf(item.plan)?.usage_type);
}

/** Since API version 2025-03-31 the billing period lives on each item, not on the subscription. */
function readPeriod(payload: StripePayload, items: StripePayload[]): Pick<SubscriptionSnapshot, 'currentPeriodStart' | 'currentPeriodEnd'> {
  const starts = items.map((item) => timestampOf(item.current_period_start, 'items.data[].current_period_start')).filter((n): n is number => n !== null);
  const ends = items.map((item) => timestampOf(item.current_period_end, 'items.data[].current_period_end')).filter((n): n is number => n !== null);
  return {
    currentPeriodStart: dateOf(payload.current_period_start, 'current_period_start') ?? (starts.length ? new Date(Math.min(...starts) * 1000) : null),
    currentPeriodEnd: dateOf(payload.current_period_end, 'current_period_end') ?? (ends.length ? new Date(Math.max(...ends) * 1000) : null),
  };
}

const PAUSE_BEHAVIORS: readonly PauseBehavior[] = ['keep_as_draft', 'mark_uncollectible', 'void'];

/** A behaviour Stripe adds later reads as `unknown`, which the rules treat as not entitling. */
function readPause(pause: StripePayload | null): Pick<SubscriptionSnapshot, 'pauseBehavior' | 'pauseResumesAt'> {
  if (!pause) return { pauseBehavior: null, pauseResumesAt: null };
  const behavior = PAUSE_BEHAVIORS.find((known) => known === pause.behavior) ?? 'unknown';
  return { pauseBehavior: behavior, pauseResumesAt: dateOf(pause.resumes_at, 'pause_collection.resumes_at') };
}

/** `quantity` is a PostgreSQL integer column. */
function quantityOf(value: unknown, field: string): number | null {
  const quantity = numberOf(value, field);
  if (quantity !== null && !(Number.isInteger(quantity) && quantity >= 0 && quantity <= 2_147_483_647)) {
    throw new PayloadRangeError(`${field} is out of range (${quantity})`);
  }
  return quantity;
}
