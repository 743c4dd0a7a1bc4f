// Reconcile and backfill: the service, and the CLI a host's script runs; re-exported by the package's index.
export { SubscriptionSyncService } from './subscription-sync.service.js';
export type { SyncSummary } from './sync-summary.js';
export type { BackfillOptions, ReplayOptions, SyncProgress, SyncRunOptions } from './sync-options.interface.js';
export { runLitestripeSync } from './sync-cli.js';
export type { RunLitestripeSyncOptions } from './sync-cli.js';
export type { SyncCommand } from './sync-cli.args.js';
export type { OutputStream } from './sync-progress.renderer.js';
export type { SignalSource } from './sync-cli.signals.js';
