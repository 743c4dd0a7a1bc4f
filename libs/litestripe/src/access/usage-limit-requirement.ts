import type { Entitlement } from './account-entitlement.js';

/** Metadata key of the limits `@UsageLimit()` puts on a controller or handler. */
export const USAGE_LIMITS = 'litestripe:usage-limits';

/** One `@UsageLimit()`, as the guard reads it. */
export interface UsageLimitRequirement {
  metric: string;
  cost: number;
  /** Replaces the plans' limit of the metric on this route. */
  limit?: number;
  /** Keep the units when the handler fails with a 5xx (by default they are given back). */
  keepOnError: boolean;
}

/**
 * What `SubscriptionGuard` asks of the usage limits of a route it admitted (implemented by the
 * usage folder's `UsageLimitEnforcer`): take the units, or throw the 429 (or 403). Behind a token so
 * that the read path does not import the counting.
 */
export interface RouteUsageLimits {
  enforce(request: object, response: { header?(name: string, value: string | number): unknown } | undefined, requirements: readonly UsageLimitRequirement[], entitlement: Entitlement): Promise<true>;
}

/** Injection token of {@link RouteUsageLimits}. */
export const ROUTE_USAGE_LIMITS = Symbol('LITESTRIPE_ROUTE_USAGE_LIMITS');
