import type Stripe from 'stripe';

type ResponseHeaders = ReturnType<Stripe.HttpClientResponse['getHeaders']>;

const BACKOFF_INITIAL_MS = 1000;
const BACKOFF_MAX_MS = 30_000;

/** A response header as one string (Node lower-cases names; the first of repeated values wins). */
export function headerValue(headers: ResponseHeaders, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) {
      return Array.isArray(value) ? value[0] : value;
    }
  }
  return undefined;
}

/**
 * `Retry-After` in milliseconds: delta-seconds, or an HTTP date counted from `now` (epoch ms; the
 * answer's own `Date` header where it has one, so the two clocks never differ); `undefined` when
 * absent or unreadable.
 */
export function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') {
    return undefined;
  }
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    return Math.ceil(Number(trimmed) * 1000);
  }
  if (!/^[a-z]{3},/i.test(trimmed)) {
    return undefined; // neither delta-seconds nor an IMF-fixdate ("Wed, 21 Oct 2015 07:28:00 GMT")
  }
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Exponential backoff with jitter for the `retry`-th retry (0-based): 1 s, 2 s, 4 s... up to 30 s,
 * each a random value between half and all of it (the same shape stripe-node uses for network retries).
 */
export function backoffDelayMs(retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_INITIAL_MS * 2 ** retry, BACKOFF_MAX_MS);
  return Math.round(ceiling * (0.5 + 0.5 * random()));
}
