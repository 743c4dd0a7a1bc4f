import { Provider } from '@nestjs/common';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../config/resolved-options';
import type { LitestripeModuleOptions } from '../interfaces/litestripe-options.interface';
import { LITESTRIPE_RAW_OPTIONS } from '../litestripe.module-definition';
import { AccountLinks } from './account-links';
import { BillingActionLimiter } from './billing-action.limiter';
import { CheckoutActions } from './checkout-actions';
import { CustomerRegistry } from './customer.registry';
import { LITESTRIPE_ENTITLEMENT_OPTIONS } from './entitlement-options';
import { resolveEntitlementOptions } from './entitlement-options.validator';
import { EntitlementCache } from './entitlement.cache';
import { OrphanClaims } from './orphan-claims';
import { OrphanEmailRetention } from './orphan-email.retention';
import { PlanPricingReader } from './plan-pricing';
import { StaleRowRefresher } from './stale-row.refresher';
import { SubscriptionActions } from './subscription-actions';
import { SubscriptionRoutesInspector } from './subscription-routes.inspector';
import { SubscriptionRowsReader } from './subscription-rows.reader';
import { SubscriptionGuard } from './subscription.guard';
import { SubscriptionService } from './subscription.service';

/** Validates the read path's options at start-up (after the base options). */
export const entitlementOptionsProvider: Provider = {
  provide: LITESTRIPE_ENTITLEMENT_OPTIONS,
  useFactory: (raw: LitestripeModuleOptions, base: ResolvedLitestripeOptions) => resolveEntitlementOptions(raw, base),
  inject: [LITESTRIPE_RAW_OPTIONS, LITESTRIPE_OPTIONS],
};

/** The read path: entitlement rules, SubscriptionService and its actions, the guard. */
export const subscriptionProviders: Provider[] = [
  entitlementOptionsProvider,
  SubscriptionRowsReader,
  EntitlementCache,
  StaleRowRefresher,
  CustomerRegistry,
  PlanPricingReader,
  BillingActionLimiter,
  SubscriptionActions,
  CheckoutActions,
  AccountLinks,
  OrphanClaims,
  OrphanEmailRetention,
  SubscriptionService,
  SubscriptionRoutesInspector,
  SubscriptionGuard,
];

/** What the module exports of the read path (the guard's dependencies included, so hosts can use it anywhere). */
export const subscriptionExports: (Provider | symbol)[] = [
  SubscriptionService,
  SubscriptionGuard,
  SubscriptionRoutesInspector,
  LITESTRIPE_ENTITLEMENT_OPTIONS,
];
