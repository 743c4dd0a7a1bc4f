import { StripeRateLimitExceededError } from './stripe-rate-limit-exceeded.error.js';

/**
 * A Stripe API call found `maxRateLimitQueue` calls of its lane already waiting for a slot in this
 * process, and was refused at once. The request was not sent to Stripe.
 *
 * Like its parent class, it reaches the caller as the `detail` of stripe's
 * `Stripe.errors.StripeRateLimitError` (`statusCode` 429, `code` `'litestripe_rate_limit_queue_full'`),
 * which is not retried.
 */
export class StripeRateLimitQueueFullError extends StripeRateLimitExceededError {
  override readonly code = 'litestripe_rate_limit_queue_full';

  constructor(
    /** Calls a lane may hold waiting per process (`maxRateLimitQueue`). */
    readonly maxQueue: number,
    limit: number,
    windowMs: number,
  ) {
    super(
      0,
      limit,
      windowMs,
      `Litestripe: ${maxQueue} Stripe API calls are already waiting for a rate-limit slot in this process (maxRateLimitQueue), ` +
        `so this one was refused at once and not sent (limit: ${limit} requests per ${windowMs} ms). ` +
        'Make fewer calls (e.g. limit them per account or user), or raise maxRequestsPerMinute or maxRateLimitQueue.',
    );
    this.name = 'StripeRateLimitQueueFullError';
  }
}
