import { Provider } from '@nestjs/common';
import { STALE_ROW_REFRESH } from '../access/stale-row-refresh.js';
import { AccountReferenceResolver } from './account-reference.resolver.js';
import { CommittedChangesAnnouncer } from './committed-changes.announcer.js';
import { CustomerFeaturesWriter } from './customer-features.writer.js';
import { OrphanedPaymentWriter } from './orphaned-payment.writer.js';
import { PurchaseWriter } from './purchase.writer.js';
import { CustomerFeaturesRefresher } from './customer-features.refresher.js';
import { StaleRowRefresher } from './stale-row.refresher.js';
import { StripeStateApplier } from './stripe-state.applier.js';
import { SubscriptionObjectApplier } from './subscription-object.applier.js';
import { SubscriptionRowWriter } from './subscription-row.writer.js';

/** The writer of subscription state, shared by the webhook, billing actions and sync; it also answers the read path's stale-row refreshes. */
export const stateProviders: Provider[] = [
  CommittedChangesAnnouncer,
  SubscriptionRowWriter,
  OrphanedPaymentWriter,
  PurchaseWriter,
  CustomerFeaturesRefresher,
  CustomerFeaturesWriter,
  AccountReferenceResolver,
  SubscriptionObjectApplier,
  StripeStateApplier,
  StaleRowRefresher,
  { provide: STALE_ROW_REFRESH, useExisting: StaleRowRefresher },
];
