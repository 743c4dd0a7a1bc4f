import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { FakeStripe } from '@litestripe/nestjs/testing';
import { sandboxEnabled } from './sandbox-env';

/** Token of the sandbox's fake Stripe server, or null outside sandbox mode. */
export const SANDBOX_STRIPE = Symbol('SANDBOX_STRIPE');

/** Lookup keys of the sandbox's prices; the demo's plans name them (demo-plans.ts). */
const SANDBOX_PRICES = [
  { lookupKey: 'demo_basic_monthly', nickname: 'Basic monthly', unitAmount: 900 },
  { lookupKey: 'demo_pro_monthly', nickname: 'Pro monthly', unitAmount: 1900 },
  { lookupKey: 'demo_pro_yearly', nickname: 'Pro yearly', unitAmount: 19000, interval: 'year' as const },
];

/**
 * In sandbox mode, an in-process fake Stripe API (the one the tests use) that the module's Stripe
 * client talks to: checkout, hosted pay and portal pages, subscriptions, events. No network needed.
 */
@Module({
  providers: [
    {
      provide: SANDBOX_STRIPE,
      useFactory: async (): Promise<FakeStripe | null> => {
        if (!sandboxEnabled()) return null;
        const fake = await FakeStripe.start();
        for (const price of SANDBOX_PRICES) fake.seedPrice(price);
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
