import { ThrottlerStorageService } from '@nestjs/throttler';
import Stripe from 'stripe';
import type { ResolvedLitestripeOptions } from '../config/resolved-options.js';
import { RateLimitedHttpClient } from './rate-limited-http-client.js';
import { LITESTRIPE_STRIPE_API_VERSION } from './stripe-client.constants.js';
import { resolveStripeClientOptions, STRIPE_CLIENT_DEFAULTS } from '../config/stripe-client-options.validator.js';
import type { LitestripeClientOptions } from '../config/stripe-client-options.interface.js';
import { StripeRateLimiter } from './stripe-rate-limiter.js';
import { LitestripeMetrics } from '../metrics/litestripe-metrics.js';

/** What the client factories read: the resolved module options plus the client's own (un-defaulted) options. */
export type StripeClientFactoryOptions = Pick<
  ResolvedLitestripeOptions,
  'secretKey' | 'maxRequestsPerMinute' | 'rateLimitCacheKey' | 'stripe'
> &
  Partial<Pick<ResolvedLitestripeOptions, 'clock'>> &
  LitestripeClientOptions;

/** Builds the API rate limiter from the module options, defaulting and checking the client's options. */
export function createStripeRateLimiter(options: StripeClientFactoryOptions): StripeRateLimiter {
  const resolved = resolveStripeClientOptions(options);
  return new StripeRateLimiter({
    storage: options.rateLimitStorage ?? new ThrottlerStorageService(),
    ownsStorage: options.rateLimitStorage === undefined,
    key: options.rateLimitCacheKey,
    limit: resolved.maxRequestsPerMinute,
    windowMs: resolved.rateLimitWindowMs,
    maxWaitMs: resolved.maxRateLimitWaitMs,
    maxQueue: resolved.maxRateLimitQueue,
    reserveForRefreshes: resolved.rateLimitReserveForRefreshes,
  });
}

/**
 * Builds the `Stripe` client: API version pinned (overridable with `stripe.apiVersion`), network
 * retries 2 unless `stripe.maxNetworkRetries` says otherwise, and every request sent through
 * `limiter`. A `stripe.httpClient` or `stripe.httpAgent` is kept, wrapped by the rate-limited client.
 * Its requests and waits for the limiter are counted in `metrics` (by default, nowhere).
 */
export function createStripeClient(options: StripeClientFactoryOptions, limiter: StripeRateLimiter, metrics = new LitestripeMetrics()): Stripe {
  const resolved = resolveStripeClientOptions(options);
  const { httpClient, httpAgent, ...config } = options.stripe ?? {};
  const inner = httpClient ?? Stripe.createNodeHttpClient(httpAgent);
  return new Stripe(options.secretKey, {
    maxNetworkRetries: STRIPE_CLIENT_DEFAULTS.maxNetworkRetries,
    appInfo: { name: 'litestripe-nestjs' },
    ...config,
    apiVersion: config.apiVersion ?? LITESTRIPE_STRIPE_API_VERSION,
    httpClient: new RateLimitedHttpClient(inner, limiter, {
      maxRateLimitRetries: resolved.maxRateLimitRetries,
      maxRetryDelayMs: resolved.maxRateLimitWaitMs,
      clock: options.clock,
      metrics,
    }),
  });
}
