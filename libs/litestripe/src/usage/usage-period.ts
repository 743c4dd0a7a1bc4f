import type { StripeSubscription } from '../entities/stripe-subscription.entity.js';
import type { UsagePeriodKind } from '../config/usage-options.interface.js';

/** The span use is counted in: from `start` (included) to `end` (excluded). */
export interface UsagePeriod {
  start: Date;
  end: Date;
}

/** The calendar month or day (UTC) holding `now`. */
export function calendarPeriod(kind: 'month' | 'day', now: Date): UsagePeriod {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  if (kind === 'month') return { start: new Date(Date.UTC(year, month, 1)), end: new Date(Date.UTC(year, month + 1, 1)) };
  const day = now.getUTCDate();
  return { start: new Date(Date.UTC(year, month, day)), end: new Date(Date.UTC(year, month, day + 1)) };
}

/**
 * The period of `kind` for use granted by `row`: its billing period for `billing` (a calendar month
 * for an account without a subscription, or a row whose period is not known yet).
 */
export function usagePeriod(kind: UsagePeriodKind, now: Date, row: Pick<StripeSubscription, 'currentPeriodStart' | 'currentPeriodEnd'> | null): UsagePeriod {
  if (kind !== 'billing') return calendarPeriod(kind, now);
  const start = row?.currentPeriodStart?.getTime();
  const end = row?.currentPeriodEnd?.getTime();
  if (start === undefined || end === undefined || end <= start) return calendarPeriod('month', now);
  // Past the end, before the renewal's webhook arrives: the next period starts at this one's end (its
  // counter is the one the renewed row will name), estimated as long as this one.
  const elapsed = now.getTime() < end ? 0 : Math.floor((now.getTime() - start) / (end - start));
  return { start: new Date(start + elapsed * (end - start)), end: new Date(end + elapsed * (end - start)) };
}
