import { emptySyncSummary } from './sync-summary.js';
import { renderSyncSummary } from './sync-summary.table.js';

describe('renderSyncSummary', () => {
  it('lists every counter, aligned, under how the run ended', () => {
    const text = renderSyncSummary('sync backfill', { ...emptySyncSummary(), created: 2345, orphaned: 782, unchanged: 5 }, 8421);
    expect(text).toBe(
      [
        'sync backfill: complete, 2350 items in 8.4 s',
        '  created    2345',
        '  updated       0',
        '  unchanged     5',
        '  orphaned    782',
        '  failed        0',
        '  replayed      0',
        '  duplicates    0',
        '',
      ].join('\n'),
    );
  });

  it('says how to finish an interrupted run', () => {
    const summary = { ...emptySyncSummary(), created: 1, complete: false, stopReason: 'aborted' as const, lastId: 'sub_1' };
    const text = renderSyncSummary('sync backfill', summary, 100, 'sync backfill --starting-after sub_1');
    expect(text.split('\n')[0]).toBe('sync backfill: interrupted, 1 item in 0.1 s');
    expect(text).toContain('Re-run to finish: items already synced count as unchanged, or resume: sync backfill --starting-after sub_1.\n');
  });

  it('points at the errors when items failed or a list could not be read', () => {
    const failed = renderSyncSummary('sync customer cus_1', { ...emptySyncSummary(), failed: 2, updated: 1 }, 0);
    expect(failed.split('\n')[0]).toBe('sync customer cus_1: finished with failures, 3 items in 0.0 s');
    expect(failed).toContain('2 failed: see the errors above; a re-run retries them.');
    const stopped = renderSyncSummary('sync backfill', { ...emptySyncSummary(), complete: false, stopReason: 'list-failed' }, 0);
    expect(stopped.split('\n')[0]).toBe("sync backfill: stopped, Stripe's list could not be read (see the error above), 0 items in 0.0 s");
    expect(stopped).toContain('Re-run to finish: items already synced count as unchanged.');
  });
});
