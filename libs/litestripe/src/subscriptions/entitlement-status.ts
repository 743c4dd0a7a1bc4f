import type { StripeSubscription, SubscriptionStatus } from '../entities/stripe-subscription.entity';

/** Statuses that grant access on their own. */
export const ENTITLING_STATUSES: readonly SubscriptionStatus[] = ['active', 'trialing'];

/** Whether a row gives its account access, as far as its stored status tells. */
export function grantsAccess(row: Pick<StripeSubscription, 'accountRef' | 'status'> | null): boolean {
  return !!row?.accountRef && !!row.status && ENTITLING_STATUSES.includes(row.status);
}
