import { Inject, Injectable } from '@nestjs/common';
import type { Entitlement } from '../access/account-entitlement.js';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from '../config/entitlement-options.js';
import { SubscriptionRequiredException } from '../errors/subscription-required.exception.js';
import { UsageLimitExceededException } from '../errors/usage-limit-exceeded.exception.js';
import { hasConsumptions, RequestConsumption, rememberConsumptions } from './request-consumptions.js';
import type { UsageCheck } from './usage-check.js';
import type { RouteUsageLimits, UsageLimitRequirement } from '../access/usage-limit-requirement.js';
import { UsageService } from './usage.service.js';

/** The part of an Express response or a Fastify reply the headers are set on. */
interface HeaderTarget {
  header?(name: string, value: string | number): unknown;
}

/**
 * What `SubscriptionGuard` does for a route's `@UsageLimit()`s: takes each one's units, or answers
 * 429 (giving back what it took for the others). Sets, per metric, the headers a named
 * `@nestjs/throttler` throttler would (`X-RateLimit-Limit-<metric>`, `-Remaining-`, `-Reset-`; a
 * `:` of the metric name becomes `-`, as header names cannot carry it), and `Retry-After` with the 429.
 */
@Injectable()
export class UsageLimitEnforcer implements RouteUsageLimits {
  constructor(
    private readonly usage: UsageService,
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly options: ResolvedEntitlementOptions,
  ) {}

  async enforce(request: object, response: HeaderTarget | undefined, requirements: readonly UsageLimitRequirement[], entitlement: Entitlement): Promise<true> {
    // A global guard and the route's own run on one request: the first one took the units.
    if (hasConsumptions(request)) return true;
    const taken: RequestConsumption[] = [];
    try {
      for (const requirement of requirements) {
        const consumption = await this.usage.consume(entitlement.accountRef, requirement.metric, { cost: requirement.cost, limit: requirement.limit });
        if (consumption.granted) {
          taken.push({ requirement, consumption });
          this.setHeaders(response, consumption.check);
          continue;
        }
        if (consumption.allowance.source === 'none') throw new SubscriptionRequiredException(this.options.deniedStatus, entitlement, { subscription: true }, this.options);
        const retryAfter = this.secondsUntil(consumption.check.periodEnd);
        this.setHeaders(response, consumption.check);
        response?.header?.('Retry-After', retryAfter);
        throw new UsageLimitExceededException(consumption.check, retryAfter);
      }
    } catch (error) {
      // The handler will not run (a limit used up, a store that failed): give back what the other limits took, and say so in their headers.
      await Promise.allSettled(taken.map(({ consumption }) => consumption.release()));
      for (const { consumption } of taken) this.setHeaders(response, { ...consumption.check, remaining: Math.min(consumption.check.limit, consumption.check.remaining + consumption.cost) });
      throw error;
    }
    rememberConsumptions(request, taken);
    return true;
  }

  private setHeaders(response: HeaderTarget | undefined, check: UsageCheck): void {
    if (typeof response?.header !== 'function' || check.limit === Infinity) return;
    const name = headerName(check.metric);
    response.header(`X-RateLimit-Limit-${name}`, check.limit);
    response.header(`X-RateLimit-Remaining-${name}`, check.remaining);
    response.header(`X-RateLimit-Reset-${name}`, this.secondsUntil(check.periodEnd));
  }

  private secondsUntil(date: Date): number {
    return Math.max(1, Math.ceil((date.getTime() - this.options.clock.now().getTime()) / 1000));
  }
}

/** A metric name may hold `:`, which no HTTP header name may: it becomes `-` there (`ai:tokens` → `X-RateLimit-Limit-ai-tokens`). */
function headerName(metric: string): string {
  return metric.replace(/:/g, '-');
}
