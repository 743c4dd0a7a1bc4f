import { Logger } from '@nestjs/common';
import type Stripe from 'stripe';
import type { LitestripeClock } from '../common/litestripe-clock.interface.js';
import { answeredAtMs, monotonicMs, systemClock } from '../common/clock.js';
import { isRateLimiterRefusal, RateLimitRefusalResponse } from './rate-limit-refusal.response.js';
import { StripeRateLimiter } from './stripe-rate-limiter.js';
import { currentStripeRequestLane } from './stripe-request-lane.js';
import { backoffDelayMs, headerValue, retryAfterMs } from './stripe-retry-delay.js';
import { LitestripeMetrics, StripeRequestOutcome } from '../metrics/litestripe-metrics.js';

type MakeRequestArgs = Parameters<Stripe.HttpClient['makeRequest']>;

export interface RateLimitedHttpClientOptions {
  /** Retries of one request answered 429 (`maxRateLimitRetries`). */
  maxRateLimitRetries: number;
  /** A 429 asking for a longer wait than this is not retried (`maxRateLimitWaitMs`). */
  maxRetryDelayMs: number;
  /** Reads a `Retry-After` date against an answer that carries no `Date` header. @default the system clock */
  clock?: LitestripeClock;
  /** Counts every attempt and its wait for the limiter. @default records nothing */
  metrics?: LitestripeMetrics;
}

/**
 * stripe-node HTTP client that wraps another one (the Node client by default):
 * - every attempt, stripe-node's own network/5xx/409 retries included, first takes a slot of the
 *   rate limiter, in the lane of the caller's scope (`inRefreshLane`, else the default lane);
 * - an attempt the limiter refuses (`StripeRateLimitExceededError`, `StripeRateLimitQueueFullError`,
 *   `StripeRateLimiterClosedError`) is not sent: it is answered with a {@link RateLimitRefusalResponse},
 *   a 429 that neither stripe-node nor this client retries, so the call rejects with stripe's
 *   `StripeRateLimitError` whose `detail` is the refusal;
 * - a 429 (which stripe-node does not retry unless Stripe sends `Stripe-Should-Retry: true`) is
 *   retried here after `Retry-After`, or an exponential backoff with jitter, with the very same
 *   headers, so a POST keeps its `Idempotency-Key`;
 * - responses get a `dispose()` (the Node client has none), so bodies of responses stripe-node
 *   discards before a retry are drained and keep-alive sockets are reused.
 * Logs name the method and path only (no query, headers or body): no key or personal data.
 */
export class RateLimitedHttpClient implements Stripe.HttpClient {
  private readonly logger = new Logger('LitestripeStripeClient');
  private readonly metrics: LitestripeMetrics;

  constructor(
    private readonly inner: Stripe.HttpClient,
    private readonly limiter: StripeRateLimiter,
    private readonly options: RateLimitedHttpClientOptions,
  ) {
    this.metrics = options.metrics ?? new LitestripeMetrics();
  }

  getClientName(): string {
    return this.inner.getClientName();
  }

  async makeRequest(...args: MakeRequestArgs): Promise<Stripe.HttpClientResponse> {
    const [, , path, method] = args;
    const lane = currentStripeRequestLane();
    for (let retry = 0; ; retry++) {
      const waitStarted = monotonicMs();
      try {
        await this.limiter.acquire(lane);
      } catch (error) {
        if (isRateLimiterRefusal(error)) {
          this.metrics.stripeRequest(method, 'rate_limited');
          return new RateLimitRefusalResponse(error);
        }
        throw error;
      } finally {
        this.metrics.rateLimiterWaited(waitStarted);
      }
      const response = withDispose(await this.inner.makeRequest(...args).catch((error: unknown) => this.unanswered(method, error)));
      this.metrics.stripeRequest(method, outcomeOf(response.getStatusCode()));
      if (response.getStatusCode() !== 429) {
        return response;
      }
      const delayMs = this.retryDelayMs(response, retry, `${method} ${path.split('?')[0]}`);
      if (delayMs === undefined) {
        return response; // stripe-node turns it into a StripeRateLimitError
      }
      response.dispose?.();
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }

  private unanswered(method: string, error: unknown): never {
    this.metrics.stripeRequest(method, 'error');
    throw error;
  }

  private retryDelayMs(response: Stripe.HttpClientResponse, retry: number, request: string): number | undefined {
    const headers = response.getHeaders();
    const reason = sanitize(headerValue(headers, 'stripe-rate-limited-reason'));
    const prefix = `Stripe answered 429 to ${request} (rate-limited reason: ${reason})`;
    const { maxRateLimitRetries, maxRetryDelayMs } = this.options;
    if (headerValue(headers, 'stripe-should-retry') === 'false') {
      this.logger.warn(`${prefix}; Stripe asks not to retry.`);
      return undefined;
    }
    if (retry >= maxRateLimitRetries) {
      this.logger.warn(`${prefix}; giving up after ${maxRateLimitRetries} retries.`);
      return undefined;
    }
    const answeredAt = answeredAtMs(headerValue(headers, 'date'), this.options.clock ?? systemClock);
    const retryAfter = retryAfterMs(headerValue(headers, 'retry-after'), answeredAt);
    const delayMs = retryAfter ?? backoffDelayMs(retry);
    if (delayMs > maxRetryDelayMs) {
      this.logger.warn(`${prefix}; not retrying: Retry-After ${delayMs} ms is beyond maxRateLimitWaitMs (${maxRetryDelayMs} ms).`);
      return undefined;
    }
    this.logger.warn(
      `${prefix}; retry ${retry + 1} of ${maxRateLimitRetries} in ${delayMs} ms` +
        (retryAfter === undefined ? ' (backoff).' : ' (Retry-After).'),
    );
    return delayMs;
  }
}

/** 429 is the rate limit (Stripe's or, answered by this client, the limiter's); any other status from 400 up is an error. */
function outcomeOf(status: number): StripeRequestOutcome {
  return status === 429 ? 'rate_limited' : status >= 400 ? 'error' : 'ok';
}

/** Gives the response a `dispose()` that drains or cancels its unread body, unless it has one. */
function withDispose(response: Stripe.HttpClientResponse): Stripe.HttpClientResponse {
  if (typeof response.dispose !== 'function') {
    response.dispose = () => {
      const raw = response.getRawResponse() as { resume?: () => void; body?: { cancel?: () => Promise<void> } } | null;
      if (typeof raw?.resume === 'function') {
        raw.resume();
      } else if (typeof raw?.body?.cancel === 'function') {
        raw.body.cancel().catch(() => undefined);
      }
    };
  }
  return response;
}

/** A header from the network, safe for a log line. */
function sanitize(value: string | undefined): string {
  if (value === undefined || value === '') {
    return 'not given';
  }
  return value.replace(/[^\w.:-]/g, '_').slice(0, 64);
}
