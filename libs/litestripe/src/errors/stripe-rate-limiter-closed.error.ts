import { StripeHttpClientRuntimeError } from './stripe-http-client-runtime.error.js';

/** A Stripe API call was made or was waiting for a slot while the application shut down. It was not sent. */
export class StripeRateLimiterClosedError extends StripeHttpClientRuntimeError {
  constructor() {
    super('Litestripe: the Stripe API rate limiter has shut down with the application; the request was not sent.');
    this.name = 'StripeRateLimiterClosedError';
  }
}
