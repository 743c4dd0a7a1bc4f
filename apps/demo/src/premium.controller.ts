import { Controller, Get } from '@nestjs/common';
import { CurrentEntitlement, RequiresFeature, RequiresPlan, RequiresSubscription } from '@litestripe/nestjs';
import type { Entitlement } from '@litestripe/nestjs';

/**
 * Premium content. The global SubscriptionGuard (app.module.ts) already requires an entitling
 * subscription on every route; the decorators narrow it down per route.
 */
@Controller('premium')
export class PremiumController {
  /** Any entitling subscription (the global guard's default). */
  @Get()
  content(@CurrentEntitlement() entitlement: Entitlement) {
    return { premium: true, plan: entitlement.plan, limits: entitlement.limits };
  }

  /** The same, said explicitly: what a route needs when the guard is not global. */
  @RequiresSubscription()
  @Get('dashboard')
  dashboard(@CurrentEntitlement() entitlement: Entitlement) {
    return { dashboard: true, until: entitlement.until };
  }

  @RequiresPlan('pro')
  @Get('reports')
  reports() {
    return { reports: ['revenue', 'churn'] };
  }

  @RequiresFeature('export')
  @Get('export')
  export() {
    return { export: 'csv' };
  }

  /**
   * A feature from Stripe (`featuresFrom: 'both'`): `priority_support` is attached to the pro
   * products in Stripe, which grants it to their subscribers while the subscription entitles (not to
   * a lifetime plan: Stripe's Entitlements follow subscriptions only).
   */
  @RequiresFeature('priority_support')
  @Get('support')
  support() {
    return { support: 'priority', answerWithin: '4h' };
  }
}
