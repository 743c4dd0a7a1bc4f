import { SYNC_COUNTERS, handledItems, type SyncSummary } from './sync-summary.js';

/**
 * The summary the CLI ends with: how the run ended, then one row per counter.
 * `resumeCommand` is shown for an interrupted backfill (the command line to continue with).
 */
export function renderSyncSummary(title: string, summary: SyncSummary, elapsedMs: number, resumeCommand?: string): string {
  const items = handledItems(summary);
  const took = `${items} item${items === 1 ? '' : 's'} in ${(elapsedMs / 1000).toFixed(1)} s`;
  const lines = [`${title}: ${outcome(summary)}, ${took}`];
  const width = Math.max(...SYNC_COUNTERS.map((counter) => String(summary[counter]).length));
  for (const counter of SYNC_COUNTERS) lines.push(`  ${counter.padEnd(10)} ${String(summary[counter]).padStart(width)}`);
  if (summary.stopReason !== null) {
    const resume = resumeCommand && summary.lastId ? `, or resume: ${resumeCommand}` : '';
    lines.push(`Re-run to finish: items already synced count as unchanged${resume}.`);
  }
  if (summary.failed > 0) lines.push(`${summary.failed} failed: see the errors above; a re-run retries them.`);
  return `${lines.join('\n')}\n`;
}

function outcome(summary: SyncSummary): string {
  if (summary.stopReason === 'aborted') return 'interrupted';
  if (summary.stopReason === 'list-failed') return 'stopped, Stripe\'s list could not be read (see the error above)';
  return summary.failed > 0 ? 'finished with failures' : 'complete';
}
