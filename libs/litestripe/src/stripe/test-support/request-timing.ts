/** Test support (not part of the library API): analysis of request arrival times. */

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
 * A perfect limiter under a backlog of whole windows scores 1.
 */
export function budgetUse(times: number[], limit: number, windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  const span = sorted[sorted.length - 1] - sorted[0];
  return (sorted.length - limit) / ((span / windowMs) * limit);
}
