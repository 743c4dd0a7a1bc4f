import type { Provider } from '@nestjs/common';
import { SubscriptionSyncService } from './subscription-sync.service.js';

/** The reconcile and backfill service; it needs the module's Stripe client, applier and event processor. */
export const syncProviders: Provider[] = [SubscriptionSyncService];
