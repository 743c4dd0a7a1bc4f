/**
 * A Stripe API call waited `maxRateLimitWaitMs` for a slot of the rate limiter without getting one
 * (or found the queue full: {@link StripeRateLimitQueueFullError}). The request was not sent to Stripe.
 *
 * A call through litestripe's Stripe client does not reject with this error itself: the limiter's
 * refusal is answered like Stripe's own `429 Too Many Requests`, so the call rejects with stripe's
 * `Stripe.errors.StripeRateLimitError` (`statusCode` 429, `code`
 * `'litestripe_rate_limit_exceeded'`, this error's message), whose `detail` is this error. `error.detail instanceof StripeRateLimitExceededError`
 * tells it from a 429 sent by Stripe (which has no `detail`). The refusal is not retried, neither by
 * stripe-node (it carries `Stripe-Should-Retry: false`) nor by litestripe's 429 retries.
 */
export class StripeRateLimitExceededError extends Error {
  /** `code` of the `StripeRateLimitError` the call rejects with. */
  readonly code: 'litestripe_rate_limit_exceeded' | 'litestripe_rate_limit_queue_full' = 'litestripe_rate_limit_exceeded';

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
