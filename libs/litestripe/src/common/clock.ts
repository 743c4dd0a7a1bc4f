import type { LitestripeClock } from './litestripe-clock.interface.js';

/** The process's wall clock: the default `clock` option. */
export const systemClock: LitestripeClock = { now: () => new Date() };

const DAY_MS = 86_400_000;

/** The clock's time in unix seconds, the unit of every Stripe timestamp. */
export function unixSeconds(clock: LitestripeClock): number {
  return Math.floor(clock.now().getTime() / 1000);
}

/** The instant `days` days before the clock's now: a retention cutoff. */
export function daysBefore(clock: LitestripeClock, days: number): Date {
  return new Date(clock.now().getTime() - days * DAY_MS);
}

/** The instant `days` days after the clock's now: an expiry. */
export function daysAfter(clock: LitestripeClock, days: number): Date {
  return new Date(clock.now().getTime() + days * DAY_MS);
}

/** When a server answered (epoch ms), from its HTTP `Date` header; the clock's now without a readable one. */
export function answeredAtMs(dateHeader: string | undefined, clock: LitestripeClock): number {
  const parsed = dateHeader ? Date.parse(dateHeader) : NaN;
  return Number.isNaN(parsed) ? clock.now().getTime() : parsed;
}

/**
 * Milliseconds from an arbitrary origin, for measuring durations (cache lifetimes, waits, warning
 * throttles). Monotonic: a host's clock or the wall clock being set does not stretch or cut them.
 */
export function monotonicMs(): number {
  return performance.now();
}

/** Longest delay `setTimeout` honours (a longer one fires at once). */
export const MAX_TIMER_MS = 2_147_483_647;
