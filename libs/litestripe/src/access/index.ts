// The read path's public API; re-exported by the package's index.
export { SubscriptionService } from './subscription.service';
export type { EntitlementRequirement } from './subscription.service';
export { SubscriptionGuard } from './subscription.guard';
export { RequiresSubscription, RequiresPlan, RequiresFeature, SkipSubscriptionCheck, CurrentEntitlement } from './subscription.decorators';
export { SubscriptionRequiredException } from '../errors/subscription-required.exception';
export type { MissingEntitlement } from '../errors/subscription-required.exception';
export type { Entitlement, AccountSubscription } from './account-entitlement';
export { decideAccess, ENTITLED_REASONS } from './entitlement-rules';
export type { AccessDecision, AccessFacts, AccessPolicy, AccessReason } from './entitlement-rules';
export type { PlanSummary } from '../config/plan-catalog';
export type { PlanPricing, PlanPrice } from './plan-pricing';
export type { LitestripePlan, LitestripeEntitlementOptions, AccountRequest } from '../config/entitlement-options.interface';
