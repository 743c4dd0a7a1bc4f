import { createParamDecorator, SetMetadata } from '@nestjs/common';
import { applySubscriptionGuard } from './apply-subscription-guard.js';
import { currentEntitlementParam } from './guarded-request.js';
import { SKIP_SUBSCRIPTION_CHECK, SUBSCRIPTION_REQUIREMENTS, SubscriptionRequirement } from './subscription-requirement.js';

/**
 * Requires an entitling subscription (any plan). On a controller it applies to every route; it
 * also applies `SubscriptionGuard`, so no `@UseGuards` is needed.
 * @example
 * @RequiresSubscription()
 * @Get('dashboard') dashboard() { ... }
 */
export const RequiresSubscription = (): ClassDecorator & MethodDecorator => requirement({});

/**
 * Requires an entitling subscription on one of these plans (names from the `plans` option; an
 * unknown name stops the app at start-up).
 * @example
 * @RequiresPlan(['pro', 'enterprise'])
 * @Get('reports') reports() { ... }
 */
export const RequiresPlan = (plan: string | string[]): ClassDecorator & MethodDecorator => requirement({ plans: names('RequiresPlan', plan) });

/**
 * Requires an entitling subscription whose plan grants all of these features.
 * @example
 * @RequiresFeature('advanced_analytics')
 * @Get('analytics') analytics() { ... }
 */
export const RequiresFeature = (feature: string | string[]): ClassDecorator & MethodDecorator => requirement({ features: names('RequiresFeature', feature) });

/**
 * Lets a route (or controller) through a global `SubscriptionGuard`: sign-in pages, pricing,
 * checkout and the billing portal, which a `past_due` account must still reach.
 * @example
 * @SkipSubscriptionCheck()
 * @Controller('billing') export class BillingController { ... }
 */
export const SkipSubscriptionCheck = (): ClassDecorator & MethodDecorator => SetMetadata(SKIP_SUBSCRIPTION_CHECK, true);

/**
 * The entitlement `SubscriptionGuard` decided the request with (undefined when no guard ran), in
 * a controller or a GraphQL resolver.
 * @example
 * @RequiresSubscription()
 * @Get('projects') list(@CurrentEntitlement() entitlement: Entitlement) { return { limit: entitlement.limits.projects }; }
 */
export const CurrentEntitlement = createParamDecorator(currentEntitlementParam);

function requirement(required: SubscriptionRequirement): ClassDecorator & MethodDecorator {
  return (target: object, key?: string | symbol, descriptor?: TypedPropertyDescriptor<any>) => {
    const where = descriptor ? descriptor.value : target;
    const existing: SubscriptionRequirement[] = Reflect.getMetadata(SUBSCRIPTION_REQUIREMENTS, where) ?? [];
    Reflect.defineMetadata(SUBSCRIPTION_REQUIREMENTS, [...existing, required], where);
    applySubscriptionGuard(target, key, descriptor);
  };
}

function names(decorator: string, value: string | string[]): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || list.some((name) => typeof name !== 'string' || name === '')) {
    throw new Error(`@${decorator}() needs one or more non-empty names (got ${JSON.stringify(value)}).`);
  }
  return list;
}
