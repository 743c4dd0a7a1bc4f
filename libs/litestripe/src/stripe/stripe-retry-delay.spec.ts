import { backoffDelayMs, headerValue, retryAfterMs } from './stripe-retry-delay.js';

describe('stripe-retry-delay', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('2', now)).toBe(2000);
    expect(retryAfterMs(' 0.5 ', now)).toBe(500);
    expect(retryAfterMs('0', now)).toBe(0);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:03 GMT', now)).toBe(3000);
    expect(retryAfterMs('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0); // in the past
    expect(retryAfterMs(undefined, now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs('-1', now)).toBeUndefined();
  });

  it('backs off exponentially from 1 s, capped at 30 s, jittered between half and all of it', () => {
    expect([0, 1, 2, 3].map((retry) => backoffDelayMs(retry, () => 1))).toEqual([1000, 2000, 4000, 8000]);
    expect([0, 1, 2, 3].map((retry) => backoffDelayMs(retry, () => 0))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelayMs(10, () => 1)).toBe(30_000);
  });

  it('finds a header whatever its case, taking the first of repeated values', () => {
    const headers = { 'retry-after': '3', 'stripe-rate-limited-reason': ['global-rate', 'other'] };
    expect(headerValue(headers, 'Retry-After')).toBe('3');
    expect(headerValue(headers, 'Stripe-Rate-Limited-Reason')).toBe('global-rate');
    expect(headerValue(headers, 'stripe-should-retry')).toBeUndefined();
  });
});
