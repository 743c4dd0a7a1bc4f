import { performance } from 'node:perf_hooks';
import Stripe from 'stripe';

/** Test support (not part of the library API): analysis of request arrival times. */

/**
 * Stripe's own HTTP client, noting in `sentAt` when each request is handed to it (`performance.now()`),
 * which the rate-limited client does right after the limiter granted a slot. Arrival times at a stub
 * lag behind by however long a loaded machine keeps the event loop busy, which says nothing about the limiter.
 */
export function recordingHttpClient(sentAt: number[]): Stripe.HttpClient {
  const inner = Stripe.createNodeHttpClient();
  return {
    getClientName: () => inner.getClientName(),
    makeRequest: (...args: Parameters<Stripe.HttpClient['makeRequest']>) => {
      sentAt.push(performance.now());
      return inner.makeRequest(...args);
    },
  } as Stripe.HttpClient;
}

/** Most arrivals inside any half-open interval `[t, t + windowMs)`. */
export function maxInAnyWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end] - sorted[start] >= windowMs) {
      start++;
    }
    most = Math.max(most, end - start + 1);
  }
  return most;
}

/**
 * Share of the allowed throughput used after the first burst: `(n - limit)` requests were
 * allowed in `(span / windowMs) * limit` slots, span being first to last arrival.
 * A perfect limiter under a backlog of whole windows scores 1. Each move to the next window waits
 * on two timers (the store's expiry and the limiter's poll), each late by at most `stallMs`, the
 * event loop's longest stall: that much of the span is the machine's, and not counted.
 */
export function budgetUse(times: number[], limit: number, windowMs: number, stallMs = 0): number {
  const sorted = [...times].sort((a, b) => a - b);
  const windowMoves = Math.ceil(sorted.length / limit) - 1;
  // Never less than half the ideal span, so that a long stall cannot shrink it to nothing.
  const span = Math.max(sorted[sorted.length - 1] - sorted[0] - windowMoves * 2 * stallMs, windowMoves * windowMs * 0.5);
  return (sorted.length - limit) / ((span / windowMs) * limit);
}
