// The read path's public API; re-exported by the package's index.
export { SubscriptionService } from './subscription.service.js';
export type { EntitlementRequirement, AccountStanding, EntitlementSubject } from './subscription.service.js';
export type { GuestTokenSubject } from './guest-token.reader.js';
export { SubscriptionGuard } from './subscription.guard.js';
export { RequiresSubscription, RequiresPlan, RequiresFeature, SkipSubscriptionCheck, CurrentEntitlement } from './subscription.decorators.js';
export { SubscriptionRequiredException } from '../errors/subscription-required.exception.js';
export type { DeniedEntitlement, MissingEntitlement } from '../errors/subscription-required.exception.js';
export type { Entitlement, AccountSubscription } from './account-entitlement.js';
export { decideAccess } from './entitlement-rules.js';
export type { AccessDecision, AccessFacts, AccessPolicy, AccessReason } from './entitlement-rules.js';
export type { PlanSummary, CreditPackSummary } from '../config/plan-catalog.js';
export type { PlanPricing, PlanPrice } from './plan-pricing.js';
