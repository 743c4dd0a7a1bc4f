import { UseInterceptors } from '@nestjs/common';
import { applySubscriptionGuard } from '../access/apply-subscription-guard.js';
import { METRIC_NAME } from '../config/usage-options.js';
import { USAGE_LIMITS, UsageLimitRequirement } from '../access/usage-limit-requirement.js';
import { UsageRefundInterceptor } from './usage-refund.interceptor.js';

/** Options of `@UsageLimit()`. */
export interface UsageLimitOptions {
  /** Units one call uses. @default 1 */
  cost?: number;
  /** Units per period on this route for every account, instead of the plans' `limits` (per seat when the metric is). */
  limit?: number;
  /** Keep the units when the handler fails with a 5xx; by default they are given back. @default false */
  keepOnError?: boolean;
}

/**
 * Counts each call against the account's limit of `metric` (its plan's `limits`, per period) and
 * answers 429, with `Retry-After` and the rate-limit headers `@nestjs/throttler` sets, once the
 * limit is used up. The units are taken atomically before the handler runs and given back if it
 * fails with a 5xx. Applies `SubscriptionGuard`; alone, it lets through any account the metric is
 * granted to (a free tier's `usage.freeLimits` included). On a controller it counts every route.
 * @example
 * @UsageLimit('api_calls')
 * @Get('search') search() { ... }
 *
 * @UsageLimit('exports', { cost: 10 })
 * @Post('export') export() { ... }
 */
export function UsageLimit(metric: string, options: UsageLimitOptions = {}): ClassDecorator & MethodDecorator {
  const requirement = checkedRequirement(metric, options);
  return (target: object, key?: string | symbol, descriptor?: TypedPropertyDescriptor<any>) => {
    const where = descriptor ? descriptor.value : target;
    const existing: UsageLimitRequirement[] = Reflect.getMetadata(USAGE_LIMITS, where) ?? [];
    Reflect.defineMetadata(USAGE_LIMITS, [...existing, requirement], where);
    applySubscriptionGuard(target, key, descriptor);
    if (existing.length === 0) {
      if (descriptor) UseInterceptors(UsageRefundInterceptor)(target, key!, descriptor);
      else UseInterceptors(UsageRefundInterceptor)(target as Function);
    }
  };
}

function checkedRequirement(metric: string, { cost = 1, limit, keepOnError = false }: UsageLimitOptions): UsageLimitRequirement {
  if (typeof metric !== 'string' || !METRIC_NAME.test(metric)) throw new Error(`@UsageLimit() needs a metric name (letters, digits, _ . : and -), got ${JSON.stringify(metric)}.`);
  if (!Number.isSafeInteger(cost) || cost < 1) throw new Error(`@UsageLimit('${metric}') cost must be a whole number of at least 1 (got ${JSON.stringify(cost)}).`);
  if (limit !== undefined && !(typeof limit === 'number' && limit >= 0)) throw new Error(`@UsageLimit('${metric}') limit must be a number >= 0 or Infinity (got ${JSON.stringify(limit)}).`);
  if (typeof keepOnError !== 'boolean') throw new Error(`@UsageLimit('${metric}') keepOnError must be true or false.`);
  return { metric, cost, ...(limit !== undefined ? { limit } : {}), keepOnError };
}
