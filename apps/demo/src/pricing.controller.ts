import { Controller, Get } from '@nestjs/common';
import type Stripe from 'stripe';
import { InjectStripeClient, SkipSubscriptionCheck, SubscriptionService } from '@litestripe/nestjs';

/**
 * The plans and their Stripe prices, for a pricing page, with what is sold once: a plan for good
 * (its `lifetimePrices`) and the credit pack, bought with POST /billing/purchase. Open to everyone.
 */
@SkipSubscriptionCheck()
@Controller('pricing')
export class PricingController {
  constructor(
    private readonly subscriptions: SubscriptionService,
    @InjectStripeClient() private readonly stripe: Stripe,
  ) {}

  @Get()
  async pricing() {
    const plans = await this.subscriptions.getPricing();
    return {
      plans: await Promise.all(
        plans.map(async (plan) => ({
          plan: plan.id,
          name: plan.name,
          features: plan.features,
          limits: plan.limits,
          prices: plan.prices.map((p) => ({ price: p.id, amount: p.unitAmount, currency: p.currency, interval: p.interval, checkout: `/billing/checkout?plan=${plan.id}&price=${p.id}` })),
          lifetime: plan.lifetimePrices[0] ? { ...(await this.amountOf(plan.lifetimePrices[0])), purchase: { lifetimePlan: plan.id } } : null,
        })),
      ),
      creditPacks: await Promise.all(
        this.subscriptions
          .listCreditPacks()
          .filter((pack) => pack.prices.length > 0)
          .map(async (pack) => ({ pack: pack.id, ...(await this.amountOf(pack.prices[0])), name: pack.name, credits: pack.credits, purchase: { creditPack: pack.id, quantity: 1 } })),
      ),
    };
  }

  /** What a one-time price costs (getPricing() lists the plans' recurring prices only). */
  private async amountOf(id: string) {
    const price = await this.stripe.prices.retrieve(id);
    return { price: price.id, name: price.nickname, amount: price.unit_amount, currency: price.currency };
  }
}
