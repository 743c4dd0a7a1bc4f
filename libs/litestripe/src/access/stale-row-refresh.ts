import type { StripeSubscription } from '../entities/stripe-subscription.entity.js';

/**
 * What the read path asks of the write path when a row is stale (a renewal webhook was missed):
 * re-read it from Stripe and store it. The write side provides it (`StaleRowRefresher`), so the
 * read path imports nothing of the writer.
 */
export interface StaleRowRefresh {
  readonly enabled: boolean;
  /** The fresh row, or null when not refreshed (disabled, tried recently, or failed). */
  refresh(row: StripeSubscription): Promise<StripeSubscription | null>;
}

/** Injection token of {@link StaleRowRefresh}. */
export const STALE_ROW_REFRESH = Symbol('LITESTRIPE_STALE_ROW_REFRESH');
