import type { SyncRunOptions } from './sync-options.interface.js';
import { emptySyncSummary, type SyncCounter, type SyncSummary } from './sync-summary.js';

/** The state of one sync run: its counts, its expected total, its signal and its progress callback. */
export class SyncRun {
  readonly summary: SyncSummary = emptySyncSummary();
  private done = 0;
  private expected: number | null = null;

  constructor(private readonly options: SyncRunOptions) {}

  get signal(): AbortSignal | undefined {
    return this.options.signal;
  }

  get aborted(): boolean {
    return this.options.signal?.aborted === true;
  }

  /** Sets the number of items expected in all, once known. */
  expect(total: number | null): void {
    this.expected = total;
  }

  /** Counts one handled item and reports progress. */
  count(outcome: SyncCounter, orphaned = false): void {
    this.summary[outcome]++;
    if (orphaned) this.summary.orphaned++;
    this.done++;
    // An estimate that turned out low is no total at all.
    const total = this.expected !== null && this.expected >= this.done ? this.expected : null;
    this.options.onProgress?.({ done: this.done, total, summary: { ...this.summary } });
  }

  stop(reason: NonNullable<SyncSummary['stopReason']>): void {
    this.summary.complete = false;
    this.summary.stopReason = reason;
  }

  get handled(): number {
    return this.done;
  }
}
