/** A queue's state (the outbox, the webhook inbox) as read from the database every instance shares. */
export interface QueueStatus {
  /** Entries waiting, counted up to a cap. */
  depth: number;
  /** How long the oldest due entry has waited, in ms (0 when none waits). */
  lagMs: number;
  /** Entries kept as failed, waiting for an operator. */
  failed: number;
}
