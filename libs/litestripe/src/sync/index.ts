export { SubscriptionSyncService } from './subscription-sync.service.js';
export type { SyncSummary } from './sync-summary.js';
export type { BackfillOptions, ReplayOptions, SyncProgress, SyncRunOptions } from './sync-options.interface.js';
export { runLitestripeSync, SYNC_EXIT } from './sync-cli.js';
export type { RunLitestripeSyncOptions } from './sync-cli.js';
export type { SyncCommand } from './sync-cli.args.js';
export type { OutputStream } from './sync-progress.renderer.js';
