import { ThrottlerStorageService } from '@nestjs/throttler';
import Stripe from 'stripe';
import { LitestripeConfigError } from '../config/litestripe-config.error';
import type { ResolvedLitestripeOptions } from '../config/resolved-options';
import { RateLimitedHttpClient } from './rate-limited-http-client';
import { LITESTRIPE_STRIPE_API_VERSION, STRIPE_CLIENT_DEFAULTS } from './stripe-client.constants';
import type { LitestripeClientOptions } from './stripe-client-options.interface';
import { StripeRateLimiter } from './stripe-rate-limiter';

/** What the client factories read: the resolved module options plus the client's own (un-defaulted) options. */
export type StripeClientFactoryOptions = Pick<
  ResolvedLitestripeOptions,
  'secretKey' | 'maxRequestsPerMinute' | 'rateLimitCacheKey' | 'stripe'
> &
  Partial<Pick<ResolvedLitestripeOptions, 'clock'>> &
  LitestripeClientOptions;

/** Builds the API rate limiter from the module options, defaulting and checking the client's options. */
export function createStripeRateLimiter(options: StripeClientFactoryOptions): StripeRateLimiter {
  const windowMs = option(options, 'rateLimitWindowMs', 1);
  const maxWaitMs = option(options, 'maxRateLimitWaitMs', 0);
  option(options, 'maxRateLimitRetries', 0);
  const maxQueue = option(options, 'maxRateLimitQueue', 1);
  const reserveForRefreshes = reserveOption(options.rateLimitReserveForRefreshes);
  if (!Number.isInteger(options.maxRequestsPerMinute) || options.maxRequestsPerMinute < 1) {
    throw new LitestripeConfigError(
      'maxRequestsPerMinute',
      'must be a whole number of at least 1',
      'Fix the option or LITESTRIPE_MAX_REQUESTS_PER_MINUTE.',
    );
  }
  const storage = options.rateLimitStorage ?? new ThrottlerStorageService();
  if (typeof storage.increment !== 'function') {
    throw new LitestripeConfigError('rateLimitStorage', 'has no increment() method', 'Give a @nestjs/throttler ThrottlerStorage.');
  }
  return new StripeRateLimiter({
    storage,
    ownsStorage: options.rateLimitStorage === undefined,
    key: options.rateLimitCacheKey,
    limit: options.maxRequestsPerMinute,
    windowMs,
    maxWaitMs,
    maxQueue,
    reserveForRefreshes,
  });
}

/**
 * Builds the `Stripe` client: API version pinned (overridable with `stripe.apiVersion`), network
 * retries 2 unless `stripe.maxNetworkRetries` says otherwise, and every request sent through
 * `limiter`. A `stripe.httpClient` or `stripe.httpAgent` is kept, wrapped by the rate-limited client.
 */
export function createStripeClient(options: StripeClientFactoryOptions, limiter: StripeRateLimiter): Stripe {
  const { httpClient, httpAgent, ...config } = options.stripe ?? {};
  const inner = httpClient ?? Stripe.createNodeHttpClient(httpAgent);
  return new Stripe(options.secretKey, {
    maxNetworkRetries: STRIPE_CLIENT_DEFAULTS.maxNetworkRetries,
    appInfo: { name: 'litestripe-nestjs' },
    ...config,
    apiVersion: config.apiVersion ?? LITESTRIPE_STRIPE_API_VERSION,
    httpClient: new RateLimitedHttpClient(inner, limiter, {
      maxRateLimitRetries: option(options, 'maxRateLimitRetries', 0),
      maxRetryDelayMs: option(options, 'maxRateLimitWaitMs', 0),
      clock: options.clock,
    }),
  });
}

/** Longest delay `setTimeout` honours. */
const MAX_TIMER_MS = 2_147_483_647;

type NumericOption = 'rateLimitWindowMs' | 'maxRateLimitWaitMs' | 'maxRateLimitRetries' | 'maxRateLimitQueue';

function option(options: LitestripeClientOptions, name: NumericOption, min: number): number {
  const value = options[name] ?? STRIPE_CLIENT_DEFAULTS[name];
  if (!Number.isInteger(value) || value < min || value > MAX_TIMER_MS) {
    throw new LitestripeConfigError(
      name,
      `must be a whole number from ${min} to ${MAX_TIMER_MS} (got ${String(value)})`,
      'Fix the option or leave it out for the default.',
    );
  }
  return value;
}

function reserveOption(value: unknown): number {
  if (value === undefined) {
    return STRIPE_CLIENT_DEFAULTS.rateLimitReserveForRefreshes;
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value >= 1) {
    throw new LitestripeConfigError(
      'rateLimitReserveForRefreshes',
      `must be a share of the budget from 0 to below 1 (got ${typeof value === 'number' ? String(value) : JSON.stringify(value)})`,
      `E.g. 0.2 keeps 20% of maxRequestsPerMinute for refreshes that decide access; 0 keeps none. Leave it out for ${STRIPE_CLIENT_DEFAULTS.rateLimitReserveForRefreshes}.`,
    );
  }
  return value;
}
