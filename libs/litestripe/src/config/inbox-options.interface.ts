/** Tuning of deferred webhook processing (`webhookProcessing: 'deferred'`). */
export interface InboxOptions {
  /**
   * Events waiting in the inbox past which the webhook answers 503, so that Stripe slows down and
   * retries later (it keeps retrying a delivery for three days). Counted across instances.
   * @default 10000
   */
  maxDepth?: number;
  /** Events one applier takes and applies in one transaction. @default 100 */
  batchSize?: number;
  /** Attempts to apply an event before it is kept as failed for an operator to retry. @default 8 */
  maxAttempts?: number;
  /** First retry delay after an event failed to apply, doubled on each attempt, in ms. @default 1000 */
  retryBackoffMs?: number;
  /**
   * How long an applier that took a batch has it to itself before another may take it (after a
   * crash), in ms. Longer than a batch takes: `batchSize` events' `validateClientReference` calls
   * and refetches, one after another, plus its transaction. A batch that outlives its lease is
   * safe (an event another applier applied meanwhile is not applied again), only wasted work.
   * @default 30000
   */
  leaseMs?: number;
  /**
   * How often each instance looks for events nobody woke it for (another instance's crash, a
   * retry that came due), in ms. Wake-ups come at once by `LISTEN/NOTIFY`; this is the fallback.
   * @default 5000
   */
  sweepIntervalMs?: number;
}
