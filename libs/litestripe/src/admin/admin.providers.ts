import { AdminEventLog } from './admin-event-log.js';
import { AdminOperations } from './admin-operations.js';

/** Registered in LitestripeModule, beside the services they use; LitestripeAdminModule reaches them from there. */
export const adminProviders = [AdminEventLog, AdminOperations];
