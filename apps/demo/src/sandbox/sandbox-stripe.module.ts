import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { FakeStripe } from '@litestripe/nestjs/testing';
import { DEMO_STRIPE_FEATURES, OneTimePrices, SUMMARIES_METER } from '../demo-plans';
import { sandboxEnabled } from './sandbox-env';

/** Token of the sandbox's fake Stripe server, or null outside sandbox mode. */
export const SANDBOX_STRIPE = Symbol('SANDBOX_STRIPE');

/**
 * Lookup keys of the sandbox's prices; the demo's plans name them (demo-plans.ts). The pro products
 * carry the Stripe feature `priority_support`, which Stripe grants to their subscribers.
 */
const SANDBOX_PRICES = [
  { lookupKey: 'demo_basic_monthly', nickname: 'Basic monthly', unitAmount: 900 },
  { lookupKey: 'demo_pro_monthly', nickname: 'Pro monthly', unitAmount: 1900, features: DEMO_STRIPE_FEATURES },
  { lookupKey: 'demo_pro_yearly', nickname: 'Pro yearly', unitAmount: 19000, interval: 'year' as const, features: DEMO_STRIPE_FEATURES },
];

/** Prices sold once (`interval: null`): pro for good, and a pack of 100 API calls. */
const ONE_TIME_PRICES = {
  proLifetime: { lookupKey: 'demo_pro_lifetime', nickname: 'Pro for life', unitAmount: 29900, interval: null },
  apiCallsPack: { lookupKey: 'demo_api_calls_100', nickname: '100 API calls', unitAmount: 500, interval: null },
};

/** The metered price of pro's summaries: 5 cents each, billed monthly from the meter's usage. */
const SUMMARIES_PRICE = { lookupKey: 'demo_summaries_metered', nickname: 'Summaries', unitAmount: 5 };

/** The id of the sandbox's metered price (ids are new at each run), for the pro plan's `meteredPrices`. */
export function sandboxSummariesPrice(fake: FakeStripe): string {
  const price = fake.prices.find((p) => p.lookup_key === SUMMARIES_PRICE.lookupKey);
  if (!price) throw new Error(`The sandbox has no ${SUMMARIES_PRICE.lookupKey} price`);
  return price.id;
}

/** The ids of the sandbox's one-time prices, for the pro plan's `lifetimePrices` and the credit pack. */
export function sandboxOneTimePrices(fake: FakeStripe): OneTimePrices {
  const id = (lookupKey: string) => fake.prices.find((p) => p.lookup_key === lookupKey)?.id;
  return { proLifetime: id(ONE_TIME_PRICES.proLifetime.lookupKey), apiCallsPack: id(ONE_TIME_PRICES.apiCallsPack.lookupKey) };
}

/**
 * In sandbox mode, an in-process fake Stripe API (the one the tests use) that the module's Stripe
 * client talks to: checkout, hosted pay and portal pages, subscriptions, one-time payments and
 * refunds, events, a billing meter, entitlement features.
 * No network needed.
 */
@Module({
  providers: [
    {
      provide: SANDBOX_STRIPE,
      useFactory: async (): Promise<FakeStripe | null> => {
        if (!sandboxEnabled()) return null;
        const fake = await FakeStripe.start();
        for (const price of SANDBOX_PRICES) fake.seedPrice(price);
        const meter = fake.seedMeter({ eventName: SUMMARIES_METER, displayName: 'Summaries' });
        fake.seedPrice({ ...SUMMARIES_PRICE, meter: meter.id });
        for (const price of Object.values(ONE_TIME_PRICES)) fake.seedPrice(price);
        return fake;
      },
    },
  ],
  exports: [SANDBOX_STRIPE],
})
export class SandboxStripeModule implements OnApplicationShutdown {
  constructor(@Inject(SANDBOX_STRIPE) private readonly fake: FakeStripe | null) {}

  async onApplicationShutdown(): Promise<void> {
    await this.fake?.stop();
  }
}
