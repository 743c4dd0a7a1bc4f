/** Metadata key of the requirements `@RequiresSubscription/Plan/Feature` put on a controller or handler. */
export const SUBSCRIPTION_REQUIREMENTS = 'litestripe:subscription-requirements';

/** Metadata key of `@SkipSubscriptionCheck()`. */
export const SKIP_SUBSCRIPTION_CHECK = 'litestripe:skip-subscription-check';

/** One decorator's requirement: an entitling subscription, on any of `plans`, with all of `features`. */
export interface SubscriptionRequirement {
  plans?: string[];
  features?: string[];
}
