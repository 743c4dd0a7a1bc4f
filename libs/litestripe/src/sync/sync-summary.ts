/** What a sync run did, item by item. Each item is counted once in `created`, `updated`, `unchanged`, `replayed`, `duplicates` or `failed`. */
export interface SyncSummary {
  /** Subscriptions written for the first time. */
  created: number;
  /** Subscriptions whose row changed. */
  updated: number;
  /** Subscriptions whose row already held what Stripe says. */
  unchanged: number;
  /** Orphan records created for subscriptions with no account reference (a subset of the above). */
  orphaned: number;
  /** Items (subscriptions, events, customers' features) that could not be synced or replayed; each is logged with its id. */
  failed: number;
  /** Undelivered events taken through the webhook pipeline now. */
  replayed: number;
  /** Undelivered events the event log had already processed. */
  duplicates: number;
  /**
   * Customers whose Stripe features (active entitlements) a backfill or customer sync read and
   * stored; set only with `featuresFrom` `'stripe'` or `'both'`.
   */
  featuresSynced?: number;
  /** False when the run stopped early: aborted by its signal, or a list page could not be read. */
  complete: boolean;
  /** Why an incomplete run stopped. */
  stopReason: 'aborted' | 'list-failed' | null;
  /**
   * The last item of the list that was handled (a subscription or event id), or null before the
   * first. An interrupted backfill resumes after it with `backfill({ startingAfter })`.
   */
  lastId: string | null;
}

/** The counters of a {@link SyncSummary}, in the order the summary table lists them. */
export const SYNC_COUNTERS = ['created', 'updated', 'unchanged', 'orphaned', 'failed', 'replayed', 'duplicates'] as const;

export type SyncCounter = (typeof SYNC_COUNTERS)[number];

export function emptySyncSummary(): SyncSummary {
  return { created: 0, updated: 0, unchanged: 0, orphaned: 0, failed: 0, replayed: 0, duplicates: 0, complete: true, stopReason: null, lastId: null };
}

/** Items handled so far: every counter but `orphaned`, which counts within the others. */
export function handledItems(summary: SyncSummary): number {
  return summary.created + summary.updated + summary.unchanged + summary.failed + summary.replayed + summary.duplicates;
}
