import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LitestripeAdminModule, LitestripeModule, litestripeOptionsFromEnv } from '@litestripe/nestjs';
import { SubscriptionGuard } from '@litestripe/nestjs';
import type { FakeStripe } from '@litestripe/nestjs/testing';
import { AdminLoginController } from './admin-login.controller';
import { DEMO_ADMIN_PATH } from './admin-token.config';
import { ApiController } from './api.controller';
import { BillingController } from './billing.controller';
import { BillingEventsListener } from './billing-events.listener';
import { databaseOptions } from './database.config';
import { DemoAdminGuard } from './demo-admin.guard';
import { DemoAuthGuard } from './demo-auth.guard';
import { DEMO_STRIPE_FEATURES, demoCreditPacks, demoPlans, demoUsage, OneTimePrices, oneTimePricesFromEnv } from './demo-plans';
import { GUEST_TOKEN_HEADER, GuestController } from './guest.controller';
import { PremiumController } from './premium.controller';
import { PricingController } from './pricing.controller';
import { SANDBOX_STRIPE, SandboxStripeModule, sandboxOneTimePrices, sandboxSummariesPrice } from './sandbox/sandbox-stripe.module';

/** The one-time prices: the sandbox's, or from DEMO_PRO_LIFETIME_PRICE and DEMO_API_CALLS_PACK_PRICE. */
function oneTimePrices(sandbox: FakeStripe | null): OneTimePrices {
  return sandbox ? sandboxOneTimePrices(sandbox) : oneTimePricesFromEnv();
}

@Module({
  imports: [
    // First: it loads .env into process.env, which databaseOptions() below reads.
    ConfigModule.forRoot(),
    TypeOrmModule.forRoot(databaseOptions()),
    EventEmitterModule.forRoot({ wildcard: true }),
    SandboxStripeModule,
    LitestripeModule.forRootAsync({
      imports: [ConfigModule, SandboxStripeModule],
      inject: [ConfigService, SANDBOX_STRIPE],
      useFactory: (config: ConfigService, sandbox: FakeStripe | null) =>
        litestripeOptionsFromEnv(config, {
          // The sandbox's fake Stripe has a billing meter and a metered price for pro's summaries.
          plans: demoPlans(sandbox ? sandboxSummariesPrice(sandbox) : undefined, oneTimePrices(sandbox)),
          creditPacks: demoCreditPacks(oneTimePrices(sandbox)),
          usage: demoUsage({ metered: sandbox !== null }),
          // Features are the plans' (config) and those Stripe grants with a subscription (Stripe Entitlements).
          featuresFrom: 'both',
          stripeFeatures: DEMO_STRIPE_FEATURES,
          subscribeUrl: '/pricing',
          manageBillingUrl: '/billing/portal',
          // Visitors who bought without an account (guest.controller.ts): the guard lets a request
          // without x-user in by the access token in this header. Tokens are valid until revoked.
          guests: { tokenFrom: { header: GUEST_TOKEN_HEADER } },
          // In sandbox mode the Stripe client talks to the in-process fake Stripe, and the module
          // reads the fake's clock: the sandbox moves Stripe's time forward, and events from the
          // future are refused. The fake has no rate limit: the offline backfill lists each
          // customer's Stripe features (one request per customer) without waiting.
          ...(sandbox ? { stripe: sandbox.clientConfig(), clock: { now: () => new Date(sandbox.now() * 1000) }, maxRequestsPerMinute: 6000 } : {}),
        }),
    }),
    // Support's view (lookups, events, queues, orphaned payments and guests with their claims), behind
    // the demo admin token: /admin-login?token=... in a browser, or Authorization: Bearer for the API.
    LitestripeAdminModule.forRoot({ path: DEMO_ADMIN_PATH, guard: DemoAdminGuard }),
  ],
  controllers: [PricingController, BillingController, GuestController, PremiumController, ApiController, AdminLoginController],
  providers: [
    BillingEventsListener,
    // Guards run in this order: authentication first, then the subscription check on every route
    // (@SkipSubscriptionCheck() routes and the webhook excepted).
    { provide: APP_GUARD, useClass: DemoAuthGuard },
    { provide: APP_GUARD, useClass: SubscriptionGuard },
  ],
})
export class AppModule {}
