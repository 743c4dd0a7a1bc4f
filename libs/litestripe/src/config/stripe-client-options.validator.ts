import { MAX_TIMER_MS } from '../common/clock.js';
import { LitestripeConfigError } from '../errors/litestripe-config.error.js';
import type { LitestripeClientOptions } from './stripe-client-options.interface.js';

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

/** The client's options, checked, with every default filled in. */
export interface ResolvedStripeClientOptions {
  maxRequestsPerMinute: number;
  rateLimitWindowMs: number;
  maxRateLimitWaitMs: number;
  maxRateLimitRetries: number;
  maxRateLimitQueue: number;
  rateLimitReserveForRefreshes: number;
}

type NumericOption = 'rateLimitWindowMs' | 'maxRateLimitWaitMs' | 'maxRateLimitRetries' | 'maxRateLimitQueue';

/** Checks the client's options (the factories call it, so a client built outside the module is checked too). */
export function resolveStripeClientOptions(options: LitestripeClientOptions & { maxRequestsPerMinute: number }): ResolvedStripeClientOptions {
  if (!Number.isInteger(options.maxRequestsPerMinute) || options.maxRequestsPerMinute < 1) {
    throw new LitestripeConfigError('maxRequestsPerMinute', 'must be a whole number of at least 1', 'Fix the option or LITESTRIPE_MAX_REQUESTS_PER_MINUTE.');
  }
  if (options.rateLimitStorage !== undefined && typeof options.rateLimitStorage?.increment !== 'function') {
    throw new LitestripeConfigError('rateLimitStorage', 'has no increment() method', 'Give a @nestjs/throttler ThrottlerStorage.');
  }
  return {
    maxRequestsPerMinute: options.maxRequestsPerMinute,
    rateLimitWindowMs: wholeNumber(options, 'rateLimitWindowMs', 1),
    maxRateLimitWaitMs: wholeNumber(options, 'maxRateLimitWaitMs', 0),
    maxRateLimitRetries: wholeNumber(options, 'maxRateLimitRetries', 0),
    maxRateLimitQueue: wholeNumber(options, 'maxRateLimitQueue', 1),
    rateLimitReserveForRefreshes: reserve(options.rateLimitReserveForRefreshes),
  };
}

function wholeNumber(options: LitestripeClientOptions, name: NumericOption, min: number): number {
  const value = options[name] ?? STRIPE_CLIENT_DEFAULTS[name];
  if (!Number.isInteger(value) || value < min || value > MAX_TIMER_MS) {
    throw new LitestripeConfigError(name, `must be a whole number from ${min} to ${MAX_TIMER_MS} (got ${String(value)})`, 'Fix the option or leave it out for the default.');
  }
  return value;
}

function reserve(value: unknown): number {
  if (value === undefined) return STRIPE_CLIENT_DEFAULTS.rateLimitReserveForRefreshes;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value >= 1) {
    throw new LitestripeConfigError(
      'rateLimitReserveForRefreshes',
      `must be a share of the budget from 0 to below 1 (got ${typeof value === 'number' ? String(value) : JSON.stringify(value)})`,
      `E.g. 0.2 keeps 20% of maxRequestsPerMinute for refreshes that decide access; 0 keeps none. Leave it out for ${STRIPE_CLIENT_DEFAULTS.rateLimitReserveForRefreshes}.`,
    );
  }
  return value;
}
