/** Tuning of durable domain-event delivery (`domainEvents: 'durable'`). */
export interface OutboxOptions {
  /**
   * How often each instance looks for entries nobody delivered (a crash between commit and
   * dispatch, or a listener that failed and waits for its retry), in ms. `0` turns polling off.
   * @default 5000
   */
  pollIntervalMs?: number;
  /**
   * How long an instance that took an entry has it to itself before another may dispatch it, in
   * ms. Longer than your slowest listener.
   * @default 30000
   */
  leaseMs?: number;
  /** Attempts before an entry is kept as failed for an operator to retry. @default 10 */
  maxAttempts?: number;
  /** First retry delay after a listener threw, doubled on each attempt, in ms. @default 1000 */
  retryBackoffMs?: number;
  /** Entries taken per poll. @default 100 */
  batchSize?: number;
  /** Delivered entries are deleted after this many days. @default 7 */
  retentionDays?: number;
}
