import type Stripe from 'stripe';

const DAY = 86_400;

/** End of a billing period that starts at `start`; months keep the day of month, clamped like Stripe does. */
export function addInterval(start: number, interval: Stripe.Price.Recurring.Interval, count: number): number {
  switch (interval) {
    case 'day':
      return start + count * DAY;
    case 'week':
      return start + count * 7 * DAY;
    case 'year':
      return addMonths(start, 12 * count);
    default:
      return addMonths(start, count);
  }
}

export function priceInterval(price: Stripe.Price): { interval: Stripe.Price.Recurring.Interval; count: number } {
  return { interval: price.recurring?.interval ?? 'month', count: price.recurring?.interval_count ?? 1 };
}

export function periodEndAfter(start: number, price: Stripe.Price): number {
  const { interval, count } = priceInterval(price);
  return addInterval(start, interval, count);
}

export const TRIAL_WILL_END_NOTICE_SECONDS = 3 * DAY;
export const SECONDS_PER_DAY = DAY;

function addMonths(start: number, months: number): number {
  const date = new Date(start * 1000);
  const day = date.getUTCDate();
  const target = new Date(date.getTime());
  target.setUTCDate(1);
  target.setUTCMonth(target.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return Math.floor(target.getTime() / 1000);
}
