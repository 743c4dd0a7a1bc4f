/** Limits for one queue, the outbox or the inbox, past which the check is down. */
export interface LitestripeQueueThresholds {
  /**
   * Longest lag tolerated, in ms (see `OutboxStatus.lagMs` and `InboxStatus.lagMs` for what each
   * measures). `Infinity` turns this limit off.
   * @default 300000 (5 minutes)
   */
  maxLagMs?: number;
  /**
   * Failed entries tolerated: each one waits for an operator (or, for an event that failed inline,
   * for Stripe's redelivery). `Infinity` turns this limit off.
   * @default 0
   */
  maxFailed?: number;
}

/** What `LitestripeHealthIndicator.check` compares the module's state with. */
export interface LitestripeHealthThresholds {
  /**
   * How long the database has to answer, in ms: first `SELECT 1`, then each status read. Past it
   * the check is down.
   * @default 1000
   */
  timeoutMs?: number;
  /** Limits for the outbox of domain events. */
  outbox?: LitestripeQueueThresholds;
  /** Limits for the webhook inbox (the event log). */
  inbox?: LitestripeQueueThresholds;
}
