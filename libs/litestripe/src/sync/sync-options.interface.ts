import type { SyncSummary } from './sync-summary.js';

/** Where a run stands, handed to `onProgress` after each item. */
export interface SyncProgress {
  /** Items handled so far (subscriptions, or events for a replay). */
  done: number;
  /** Items expected in all, when known (from a first count or the last page); null otherwise. */
  total: number | null;
  /** The counts so far (a copy). */
  summary: SyncSummary;
}

/** Options every sync run takes. */
export interface SyncRunOptions {
  /** Called after each item. Keep it cheap: it runs on the sync's own path. */
  onProgress?: (progress: SyncProgress) => void;
  /**
   * Stops the run: no new item is started, the items in flight finish, and the partial summary is
   * returned with `complete: false`. Safe at any time: every item is written in its own transaction.
   */
  signal?: AbortSignal;
}

export interface BackfillOptions extends SyncRunOptions {
  /**
   * Resume after this subscription id (the `lastId` of an interrupted run's summary). Re-running
   * from the start is just as safe; this only saves the calls for pages already done.
   */
  startingAfter?: string;
  /**
   * Subscriptions written at once. The next page is fetched while one is written.
   * @default 4
   */
  concurrency?: number;
  /**
   * Ask Stripe's search API for the number of subscriptions first, so progress has a total
   * (one more API call; an estimate, accurate up to 10,000, unavailable to some accounts, in which
   * case the total stays unknown).
   * @default true when `onProgress` is given and `startingAfter` is not
   */
  countFirst?: boolean;
}

export interface ReplayOptions extends SyncRunOptions {
  /**
   * How far back to look for events Stripe failed to deliver. Stripe lists events of the last 30 days only.
   * @default 30
   */
  days?: number;
}
