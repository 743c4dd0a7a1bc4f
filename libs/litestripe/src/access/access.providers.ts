import { Provider } from '@nestjs/common';
import { EntitlementCache } from './entitlement.cache.js';
import { PlanPricingReader } from './plan-pricing.js';
import { SubscriptionChangesListener } from './subscription-changes.listener.js';
import { SubscriptionRoutesInspector } from './subscription-routes.inspector.js';
import { SubscriptionRowsReader } from './subscription-rows.reader.js';
import { SubscriptionGuard } from './subscription.guard.js';
import { SubscriptionService } from './subscription.service.js';
import { GuestTokenAttempts } from './guest-token-attempts.js';
import { GuestTokenReader } from './guest-token.reader.js';
import { GuestRequests } from './guest-requests.js';

/** The read path: entitlement rules behind SubscriptionService, the cache, guests' tokens, the guard. */
export const accessProviders: Provider[] = [SubscriptionRowsReader, EntitlementCache, SubscriptionChangesListener, PlanPricingReader, GuestTokenAttempts, GuestTokenReader, GuestRequests, SubscriptionService, SubscriptionRoutesInspector, SubscriptionGuard];
