import Stripe from 'stripe';
import { StripeRateLimitExceededError } from '../errors/stripe-rate-limit-exceeded.error.js';
import { StripeRateLimiterClosedError } from '../errors/stripe-rate-limiter-closed.error.js';

/** Why the rate limiter refused a request (`StripeRateLimitQueueFullError` is a `StripeRateLimitExceededError`). */
export type RateLimiterRefusal = StripeRateLimitExceededError | StripeRateLimiterClosedError;

export function isRateLimiterRefusal(error: unknown): error is RateLimiterRefusal {
  return error instanceof StripeRateLimitExceededError || error instanceof StripeRateLimiterClosedError;
}

/** The error body stripe-node reads from {@link RateLimitRefusalResponse}. */
export interface RateLimitRefusalBody {
  error: {
    type: 'rate_limit_error';
    code: RateLimiterRefusal['code'];
    message: string;
    detail: RateLimiterRefusal;
  };
}

/**
 * The answer the rate-limited HTTP client gives, without sending anything, to a request the rate
 * limiter refused: a `429` with `Stripe-Should-Retry: false`, so stripe-node neither retries it nor
 * reports a connection error, and rejects the call with its own `StripeRateLimitError`: `code` and
 * `message` of the refusal, `detail` the refusal itself, no `requestId`. Built on stripe's public
 * `HttpClientResponse`; stripe-node reads it through `getStatusCode`, `getHeaders` and `toJSON` only.
 */
export class RateLimitRefusalResponse extends Stripe.HttpClientResponse {
  constructor(readonly refusal: RateLimiterRefusal) {
    super(429, { 'content-type': 'application/json', 'stripe-should-retry': 'false' });
  }

  override getRawResponse(): null {
    return null;
  }

  /** A new object on every call: stripe-node adds the headers and status to the `error` it is given. */
  override toJSON(): Promise<RateLimitRefusalBody> {
    const { code, message } = this.refusal;
    return Promise.resolve({ error: { type: 'rate_limit_error', code, message, detail: this.refusal } });
  }
}
