import type Stripe from 'stripe';

/** Stripe API version the client is pinned to; override with `stripe.apiVersion`. */
export const LITESTRIPE_STRIPE_API_VERSION = '2026-10-28.endive' satisfies Stripe.LatestApiVersion;

/** Name under which the limiter counts in the store, next to `rateLimitCacheKey`. */
export const STRIPE_RATE_LIMIT_THROTTLER_NAME = 'stripe-api';
