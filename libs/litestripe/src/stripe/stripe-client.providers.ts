import type { Provider } from '@nestjs/common';
import type Stripe from 'stripe';
import { LITESTRIPE_OPTIONS } from '../config/resolved-options.js';
import { LITESTRIPE_STRIPE_CLIENT } from './stripe-client.decorator.js';
import { createStripeClient, createStripeRateLimiter, type StripeClientFactoryOptions } from './stripe-client.factory.js';
import { StripeRateLimiter } from './stripe-rate-limiter.js';
import { LitestripeMetrics } from '../metrics/litestripe-metrics.js';

/**
 * Providers of the Stripe client: the `StripeRateLimiter` (which frees its timers and refuses
 * waiting calls on application shutdown) and the `Stripe` client under {@link LITESTRIPE_STRIPE_CLIENT}.
 * Both read `LITESTRIPE_OPTIONS`; the client counts its requests in `LitestripeMetrics` where the
 * module provides it. Export `getStripeClientToken()` from the module for hosts.
 */
export function createStripeClientProviders(): Provider[] {
  return [
    {
      provide: StripeRateLimiter,
      inject: [LITESTRIPE_OPTIONS],
      useFactory: (options: StripeClientFactoryOptions): StripeRateLimiter => createStripeRateLimiter(options),
    },
    {
      provide: LITESTRIPE_STRIPE_CLIENT,
      inject: [LITESTRIPE_OPTIONS, StripeRateLimiter, { token: LitestripeMetrics, optional: true }],
      useFactory: (options: StripeClientFactoryOptions, limiter: StripeRateLimiter, metrics?: LitestripeMetrics): Stripe => createStripeClient(options, limiter, metrics),
    },
  ];
}
