export { LitestripeAdminModule } from './litestripe-admin.module.js';
export type { AdminGuard, AdminRequest, LitestripeAdminOptions } from './admin-options.interface.js';
export type { AdminLookup, OutboxEntryView } from './admin-operations.js';
export type { LoggedEvent } from './admin-event-log.js';
