import type { QueueStatus } from '../common/queue-status.js';

/**
 * What became of a webhook delivery: an outcome the webhook answers with (`queued`: stored in the
 * inbox, `webhookProcessing: 'deferred'`), `failed` (a 4xx/5xx after verification: Stripe
 * retries) or `rejected` (its signature, header or body did not verify).
 */
export type WebhookEventOutcome = 'processed' | 'ignored' | 'duplicate' | 'wrong_mode' | 'connected_account' | 'link_conflict' | 'queued' | 'failed' | 'rejected';

/** An HTTP attempt to Stripe: answered below 400, refused by the rate limiter or answered 429, or anything else (an error status, no answer). */
export type StripeRequestOutcome = 'ok' | 'error' | 'rate_limited';


/**
 * Where the module reports what it does. This class records nothing: it is what the module runs
 * with metrics off (the default), so every instrumentation point costs one empty call; with
 * `metrics.enabled` the provider gives an `OpenTelemetryMetrics` instead. Durations are given as
 * the `monotonicMs()` they started at.
 */
export class LitestripeMetrics {
  /** A delivery the webhook answered, by outcome. */
  webhookEvent(outcome: WebhookEventOutcome): void {}

  /** Applying webhook events took until now: one event (inline) or one inbox batch (deferred). */
  webhookApplied(mode: 'inline' | 'deferred', startedMs: number): void {}

  /** One outbox entry handed to its listeners: all succeeded (`delivered`) or one threw (`failed`). */
  outboxDispatched(outcome: 'delivered' | 'failed', startedMs: number): void {}

  /** One HTTP attempt to Stripe (stripe-node's retries and the client's 429 retries each count). */
  stripeRequest(method: string, outcome: StripeRequestOutcome): void {}

  /** An attempt waited for the rate limiter's slot (or its refusal) until now. */
  rateLimiterWaited(startedMs: number): void {}

  /** The guard checked an entitlement against a route's requirements; `missing` is what failed them, null when they hold. */
  guardDecision(entitlement: { reason: string }, missing: { plans?: unknown; features?: unknown } | null): void {}

  /** Registers how to read a queue's depth, lag and failed count whenever the metrics are collected. */
  observeBacklog(queue: 'outbox' | 'inbox', read: () => Promise<QueueStatus>): void {}

  /** `count` outbox entries a broker confirmed (`delivered`) or did not, in one pass that began at `startedMs`. */
  outboxPublished(destination: string, outcome: 'delivered' | 'failed', count: number, startedMs: number): void {}

  /** Depth, lag and failed count of the outbox's entries at each broker, read at each collection. */
  observeBrokerBacklog(destinations: readonly string[], read: (destination: string) => Promise<QueueStatus>): void {}
}
