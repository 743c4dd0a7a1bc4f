import type Stripe from 'stripe';

/** Stripe API version the client is pinned to; override with `stripe.apiVersion`. */
export const LITESTRIPE_STRIPE_API_VERSION = '2026-10-28.endive' satisfies Stripe.LatestApiVersion;

/** Defaults of {@link LitestripeClientOptions} (`maxRequestsPerMinute` and `rateLimitCacheKey` live in `DEFAULTS`). */
export const STRIPE_CLIENT_DEFAULTS = {
  rateLimitWindowMs: 60_000,
  maxRateLimitWaitMs: 60_000,
  maxRateLimitRetries: 3,
  maxRateLimitQueue: 1000,
  rateLimitReserveForRefreshes: 0.2,
  /** Passed to stripe-node as `maxNetworkRetries` unless `stripe.maxNetworkRetries` is set. */
  maxNetworkRetries: 2,
} as const;

/** Name under which the limiter counts in the store, next to `rateLimitCacheKey`. */
export const STRIPE_RATE_LIMIT_THROTTLER_NAME = 'stripe-api';
