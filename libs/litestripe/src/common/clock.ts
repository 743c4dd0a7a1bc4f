import type { LitestripeClock } from '../interfaces/litestripe-clock.interface';

/** The process's wall clock: the default `clock` option. */
export const systemClock: LitestripeClock = { now: () => new Date() };

/** The clock's time in unix seconds, the unit of every Stripe timestamp. */
export function unixSeconds(clock: LitestripeClock): number {
  return Math.floor(clock.now().getTime() / 1000);
}

/**
 * Milliseconds from an arbitrary origin, for measuring durations (cache lifetimes, waits, warning
 * throttles). Monotonic: a host's clock or the wall clock being set does not stretch or cut them.
 */
export function monotonicMs(): number {
  return performance.now();
}
