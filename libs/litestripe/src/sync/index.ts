export { SubscriptionSyncService } from './subscription-sync.service';
export type { SyncSummary } from './sync-summary';
export type { BackfillOptions, ReplayOptions, SyncProgress, SyncRunOptions } from './sync-options.interface';
export { runLitestripeSync, SYNC_EXIT } from './sync-cli';
export type { RunLitestripeSyncOptions } from './sync-cli';
export type { SyncCommand } from './sync-cli.args';
export type { OutputStream } from './sync-progress.renderer';
