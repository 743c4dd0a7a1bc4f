import { StripeHttpClientRuntimeError } from './stripe-http-client-runtime.error.js';

/**
 * A Stripe API call waited `maxRateLimitWaitMs` for a slot of the rate limiter without getting one
 * (or found the queue full: {@link StripeRateLimitQueueFullError}). The request was not sent to Stripe.
 */
export class StripeRateLimitExceededError extends StripeHttpClientRuntimeError {
  constructor(
    /** How long the call waited, in milliseconds (its `maxRateLimitWaitMs`). */
    readonly waitedMs: number,
    /** Requests allowed per window to the call's lane (`maxRequestsPerMinute`, less the reserve for refreshes in the default lane). */
    readonly limit: number,
    /** Window length in milliseconds (`rateLimitWindowMs`). */
    readonly windowMs: number,
    message = `Litestripe: no Stripe API request slot became free within ${waitedMs} ms ` +
      `(limit: ${limit} requests per ${windowMs} ms, shared through the rate-limit store); the request was not sent. ` +
      'Send fewer requests, or raise maxRateLimitWaitMs or maxRequestsPerMinute.',
  ) {
    super(message);
    this.name = 'StripeRateLimitExceededError';
  }
}
