import { Provider } from '@nestjs/common';
import { STALE_ROW_REFRESH } from '../access/stale-row-refresh';
import { AccountReferenceResolver } from './account-reference.resolver';
import { CommittedChangesAnnouncer } from './committed-changes.announcer';
import { OrphanedPaymentWriter } from './orphaned-payment.writer';
import { StaleRowRefresher } from './stale-row.refresher';
import { StripeStateApplier } from './stripe-state.applier';
import { SubscriptionObjectApplier } from './subscription-object.applier';
import { SubscriptionRowWriter } from './subscription-row.writer';

/** The writer of subscription state, shared by the webhook, billing actions and sync; it also answers the read path's stale-row refreshes. */
export const stateProviders: Provider[] = [
  CommittedChangesAnnouncer,
  SubscriptionRowWriter,
  OrphanedPaymentWriter,
  AccountReferenceResolver,
  SubscriptionObjectApplier,
  StripeStateApplier,
  StaleRowRefresher,
  { provide: STALE_ROW_REFRESH, useExisting: StaleRowRefresher },
];
