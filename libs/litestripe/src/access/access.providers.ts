import { Provider } from '@nestjs/common';
import { EntitlementCache } from './entitlement.cache';
import { PlanPricingReader } from './plan-pricing';
import { SubscriptionChangesListener } from './subscription-changes.listener';
import { SubscriptionRoutesInspector } from './subscription-routes.inspector';
import { SubscriptionRowsReader } from './subscription-rows.reader';
import { SubscriptionGuard } from './subscription.guard';
import { SubscriptionService } from './subscription.service';

/** The read path: entitlement rules behind SubscriptionService, the cache, the guard. */
export const accessProviders: Provider[] = [SubscriptionRowsReader, EntitlementCache, SubscriptionChangesListener, PlanPricingReader, SubscriptionService, SubscriptionRoutesInspector, SubscriptionGuard];
