import type { Provider } from '@nestjs/common';
import type Stripe from 'stripe';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../../config/resolved-options.js';
import { LITESTRIPE_USAGE_OPTIONS, ResolvedUsageOptions } from '../../config/usage-options.js';
import { createStripeClient, createStripeRateLimiter, type StripeClientFactoryOptions } from '../../stripe/stripe-client.factory.js';
import { StripeRateLimiter } from '../../stripe/stripe-rate-limiter.js';
import { LitestripeMetrics } from '../../metrics/litestripe-metrics.js';

/** Injection tokens of the meter events' own rate limiter and Stripe client. */
export const METER_RATE_LIMITER = Symbol('LITESTRIPE_METER_RATE_LIMITER');
export const METER_STRIPE_CLIENT = Symbol('LITESTRIPE_METER_STRIPE_CLIENT');

/**
 * Meter events go through a Stripe client of their own: the same key, API version and rate-limit
 * store, but their own budget (`usage.meterReporting.maxRequestsPerMinute`, under its own key), so
 * a burst of metered use never waits behind, nor eats, the ordinary API's budget.
 */
export const meterStripeClientProviders: Provider[] = [
  {
    provide: METER_RATE_LIMITER,
    inject: [LITESTRIPE_OPTIONS, LITESTRIPE_USAGE_OPTIONS],
    useFactory: (options: ResolvedLitestripeOptions, usage: ResolvedUsageOptions): StripeRateLimiter => createStripeRateLimiter(meterClientOptions(options, usage)),
  },
  {
    provide: METER_STRIPE_CLIENT,
    inject: [LITESTRIPE_OPTIONS, LITESTRIPE_USAGE_OPTIONS, METER_RATE_LIMITER, LitestripeMetrics],
    useFactory: (options: ResolvedLitestripeOptions, usage: ResolvedUsageOptions, limiter: StripeRateLimiter, metrics: LitestripeMetrics): Stripe =>
      createStripeClient(meterClientOptions(options, usage), limiter, metrics),
  },
];

function meterClientOptions(options: ResolvedLitestripeOptions, usage: ResolvedUsageOptions): StripeClientFactoryOptions {
  return {
    ...(options as unknown as StripeClientFactoryOptions),
    maxRequestsPerMinute: usage.meterReporting.maxRequestsPerMinute,
    rateLimitCacheKey: `${options.rateLimitCacheKey}:meter_events`,
    rateLimitReserveForRefreshes: 0,
  };
}
