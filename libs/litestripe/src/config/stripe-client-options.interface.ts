import type { ThrottlerStorage } from '@nestjs/throttler';

/**
 * Options of the rate-limited Stripe client. `LitestripeModuleOptions` extends this interface;
 * `maxRequestsPerMinute`, `rateLimitCacheKey` and `stripe` are declared there.
 *
 * The limiter allows `maxRequestsPerMinute` requests per `rateLimitWindowMs` window, counted in
 * `rateLimitStorage` under `rateLimitCacheKey`. Every attempt (first tries, stripe-node's network
 * retries and litestripe's 429 retries) takes one slot, in one of two lanes: `refresh` (reads that
 * decide access now: a stale row's refresh, a webhook's refetch, `syncCheckoutSession`) or the
 * default lane (everything else, your own calls with the injected client included).
 *
 * A call the limiter refuses is not sent, and rejects like a `429` from Stripe that is not
 * retried: with stripe's `Stripe.errors.StripeRateLimitError` (`statusCode` 429), whose `code` is
 * `'litestripe_rate_limit_exceeded'`, `'litestripe_rate_limit_queue_full'` or
 * `'litestripe_rate_limiter_closed'` and whose `detail` is litestripe's error
 * (`StripeRateLimitExceededError`, its subclass `StripeRateLimitQueueFullError`, or
 * `StripeRateLimiterClosedError` at shutdown). A 429 sent by Stripe has no such `detail`. Test
 * `error.type === 'StripeRateLimitError'` rather than `instanceof`: stripe's ESM and CommonJS builds
 * have error classes of their own, and a CommonJS app's `stripe` is not the build litestripe uses.
 */
export interface LitestripeClientOptions {
  /**
   * Where the API rate limiter counts requests, in the shape of `@nestjs/throttler`'s
   * `ThrottlerStorage`. Give a shared store (e.g. `ThrottlerStorageRedisService` of
   * `@nest-lab/throttler-storage-redis`) so that every instance of the app shares one budget.
   *
   * The throttler's in-memory `ThrottlerStorageService` is used as a sliding window; any other
   * store is assumed to count every `increment()` in a fixed window (as the Redis stores do), and
   * the limiter compares the count itself. With such a store the limit holds per window of the
   * store, which starts at its first request: calls spread over a window boundary can reach up to
   * twice the limit within one window length, while a backlog is served in bursts a full window apart.
   * (`ThrottlerStorageRedisService` re-arms a window's expiry when hit in its very last millisecond,
   * so a window now and then lasts twice as long: fewer requests, never more.)
   * A store you pass is not closed by litestripe. If the store fails, calls fall back to a
   * per-process in-memory limit (with a warning, at most once per window).
   * @default a per-process `ThrottlerStorageService`, cleared on application shutdown
   */
  rateLimitStorage?: ThrottlerStorage;

  /**
   * Length of the rate-limit window in milliseconds: `maxRequestsPerMinute` requests are allowed
   * per window (so the name holds for the default). The store is given a window 3% (at least
   * 50 ms) longer, a guard against network jitter.
   * @default 60000
   */
  rateLimitWindowMs?: number;

  /**
   * Longest time a call waits for a free slot of the rate limiter, in milliseconds. Past it the
   * call fails, nothing sent to Stripe and no retry, with stripe's `StripeRateLimitError`
   * (`code` `'litestripe_rate_limit_exceeded'`, `detail` a `StripeRateLimitExceededError`).
   * Calls over the limit wait in order of arrival (per process) until then.
   * @default 60000
   */
  maxRateLimitWaitMs?: number;

  /**
   * How often one request answered `429 Too Many Requests` by Stripe is tried again, after
   * `Retry-After` or an exponential backoff with jitter (1 s, 2 s, 4 s... halved at random). A
   * `Retry-After` longer than `maxRateLimitWaitMs` is not waited for. When retries are exhausted the
   * call fails with stripe's `StripeRateLimitError` (Stripe's own `code`, no `detail`). Each retry
   * takes a slot of the limiter too; should it be refused, the call fails as that refusal does.
   * `0` disables these retries.
   * @default 3
   */
  maxRateLimitRetries?: number;

  /**
   * Share of `maxRequestsPerMinute` kept for the refreshes that decide access (a stale row's
   * refresh, a webhook's refetch, `syncCheckoutSession`): other calls (billing actions, pricing,
   * sync, your own calls) may use only the rest, rounded down (at least one request per window),
   * while refreshes may use the whole budget, each lane with its own queue. From 0 (no reserve:
   * one queue for all) to below 1. The default lane is also counted under
   * `<rateLimitCacheKey>:default`; with a fixed-window store its window and the shared one need not
   * line up, so like the limit itself its share holds per window of its own.
   * @default 0.2
   */
  rateLimitReserveForRefreshes?: number;

  /**
   * How many calls may wait for a slot, per lane and per process. A call that finds this many
   * waiting ahead of it in its lane fails at once (nothing is sent, no retry) with stripe's
   * `StripeRateLimitError` (`code` `'litestripe_rate_limit_queue_full'`, `detail` a
   * `StripeRateLimitQueueFullError`), rather than holding memory and a request open for up to
   * `maxRateLimitWaitMs`.
   * @default 1000
   */
  maxRateLimitQueue?: number;
}
