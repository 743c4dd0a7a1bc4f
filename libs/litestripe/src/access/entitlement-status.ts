import type { StripeSubscription, SubscriptionStatus } from '../entities/stripe-subscription.entity.js';

/** Statuses that grant access on their own. */
export const ENTITLING_STATUSES: readonly SubscriptionStatus[] = ['active', 'trialing'];

/**
 * The write path's rule for `litestripe.subscription.activated` / `.deactivated`: a linked row
 * whose status is `active` or `trialing`. Deliberately the status alone: domain events fire when a
 * row changes, and the full rules (`decideAccess` in entitlement-rules.ts: grace periods, scheduled
 * cancellations, paused collection, stale rows) also depend on the time of asking, which no event
 * marks. Ask `SubscriptionService.getEntitlement()` for the current answer.
 */
export function grantsAccess(row: Pick<StripeSubscription, 'accountRef' | 'status'> | null): boolean {
  return !!row?.accountRef && !!row.status && ENTITLING_STATUSES.includes(row.status);
}
