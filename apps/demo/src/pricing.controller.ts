import { Controller, Get } from '@nestjs/common';
import { SkipSubscriptionCheck, SubscriptionService } from '@litestripe/nestjs';

/** The plans and their Stripe prices, for a pricing page. Open to everyone. */
@SkipSubscriptionCheck()
@Controller('pricing')
export class PricingController {
  constructor(private readonly subscriptions: SubscriptionService) {}

  @Get()
  async pricing() {
    const plans = await this.subscriptions.getPricing();
    return plans.map((plan) => ({
      plan: plan.id,
      name: plan.name,
      features: plan.features,
      limits: plan.limits,
      prices: plan.prices.map((p) => ({ price: p.id, amount: p.unitAmount, currency: p.currency, interval: p.interval, checkout: `/billing/checkout?plan=${plan.id}&price=${p.id}` })),
    }));
  }
}
