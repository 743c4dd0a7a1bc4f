/**
 * A Stripe API call was made or was waiting for a slot while the application shut down. It was not sent.
 *
 * A call through litestripe's Stripe client rejects with stripe's `Stripe.errors.StripeRateLimitError`
 * (`statusCode` 429, `code` `'litestripe_rate_limiter_closed'`, this error's message), whose
 * `detail` is this error; it is not retried.
 */
export class StripeRateLimiterClosedError extends Error {
  /** `code` of the `StripeRateLimitError` the call rejects with. */
  readonly code = 'litestripe_rate_limiter_closed';

  constructor() {
    super('Litestripe: the Stripe API rate limiter has shut down with the application; the request was not sent.');
    this.name = 'StripeRateLimiterClosedError';
  }
}
