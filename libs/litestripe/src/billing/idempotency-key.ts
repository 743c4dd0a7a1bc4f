import { createHash } from 'node:crypto';
import type { StripeSubscription } from '../entities/stripe-subscription.entity.js';

/**
 * An idempotency key for an action on a subscription, derived from what is asked and the row's
 * state (`updated_at` changes on every write): a double click or a retry sends the same key, so
 * Stripe applies the action once; the same action asked again after the state moved on (cancel,
 * resume, cancel) gets a new key and runs.
 */
export function actionKey(operation: string, subscriptionId: string, params: unknown, row: Pick<StripeSubscription, 'updatedAt'> | null): string {
  const state = row?.updatedAt ? row.updatedAt.toISOString() : 'unknown';
  const digest = createHash('sha256').update(JSON.stringify([params, state])).digest('hex').slice(0, 24);
  return `litestripe-${operation}-${subscriptionId}-${digest}`;
}
