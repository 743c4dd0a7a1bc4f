import { LitestripeInit1764000000000 } from './1764000000000-litestripe-init.js';
import { LitestripeEntitlements1764100000000 } from './1764100000000-litestripe-entitlements.js';
import { LitestripeOutbox1764200000000 } from './1764200000000-litestripe-outbox.js';
import { LitestripeTrustBoundaries1764300000000 } from './1764300000000-litestripe-trust-boundaries.js';
import { LitestripePauseCollection1764400000000 } from './1764400000000-litestripe-pause-collection.js';
import { LitestripeSubscriptionChanges1764500000000 } from './1764500000000-litestripe-subscription-changes.js';
import { LitestripeInbox1764600000000 } from './1764600000000-litestripe-inbox.js';
import { LitestripeUsage1764700000000 } from './1764700000000-litestripe-usage.js';
import { LitestripePurchases1764800000000 } from './1764800000000-litestripe-purchases.js';
import { LitestripeGuests1764900000000 } from './1764900000000-litestripe-guests.js';
import { LitestripeOperatorView1765000000000 } from './1765000000000-litestripe-operator-view.js';
import { LitestripeBrokerOutbox1765100000000 } from './1765100000000-litestripe-broker-outbox.js';

export {
  LitestripeInit1764000000000,
  LitestripeEntitlements1764100000000,
  LitestripeOutbox1764200000000,
  LitestripeTrustBoundaries1764300000000,
  LitestripePauseCollection1764400000000,
  LitestripeSubscriptionChanges1764500000000,
  LitestripeInbox1764600000000,
  LitestripeUsage1764700000000,
  LitestripePurchases1764800000000,
  LitestripeGuests1764900000000,
  LitestripeOperatorView1765000000000,
  LitestripeBrokerOutbox1765100000000,
};

/** The module's migrations, in the order TypeORM runs them (by timestamp): add them to your DataSource's `migrations`. */
export const LITESTRIPE_MIGRATIONS = [
  LitestripeInit1764000000000,
  LitestripeEntitlements1764100000000,
  LitestripeOutbox1764200000000,
  LitestripeTrustBoundaries1764300000000,
  LitestripePauseCollection1764400000000,
  LitestripeSubscriptionChanges1764500000000,
  LitestripeInbox1764600000000,
  LitestripeUsage1764700000000,
  LitestripePurchases1764800000000,
  LitestripeGuests1764900000000,
  LitestripeOperatorView1765000000000,
  LitestripeBrokerOutbox1765100000000,
];
