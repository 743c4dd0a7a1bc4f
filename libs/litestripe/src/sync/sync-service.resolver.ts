import type { INestApplicationContext } from '@nestjs/common';
import { SubscriptionSyncService } from './subscription-sync.service.js';
import { errorMessage } from '../common/describe-error.js';

/** The app's `SubscriptionSyncService`, or an error that says which module to pass. */
export function resolveSyncService(app: INestApplicationContext): SubscriptionSyncService {
  try {
    return app.get(SubscriptionSyncService, { strict: false });
  } catch (error) {
    const reason = errorMessage(error);
    throw new Error(`The application has no LitestripeModule to sync with (${reason}). Pass the module that imports LitestripeModule.forRoot() or forRootAsync() to runLitestripeSync.`);
  }
}
