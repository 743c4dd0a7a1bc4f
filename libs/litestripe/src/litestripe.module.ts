import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { accessProviders } from './access/access.providers';
import { SubscriptionRoutesInspector } from './access/subscription-routes.inspector';
import { SubscriptionGuard } from './access/subscription.guard';
import { SubscriptionService } from './access/subscription.service';
import { billingProviders } from './billing/billing.providers';
import { BillingService } from './billing/billing.service';
import { SubscriptionRowChanges } from './common/subscription-row-changes';
import { LITESTRIPE_ENTITLEMENT_OPTIONS } from './config/entitlement-options';
import { optionsProviders } from './config/options.providers';
import { LITESTRIPE_OPTIONS } from './config/resolved-options';
import { LITESTRIPE_ENTITIES } from './entities';
import { eventProviders } from './events/events.providers';
import { OutboxService } from './events/outbox/outbox.service';
import { ConfigurableModuleClass } from './litestripe.module-definition';
import { retentionProviders } from './retention/retention.providers';
import { RetentionJob } from './retention/retention.job';
import { stateProviders } from './state/state.providers';
import { StripeStateApplier } from './state/stripe-state.applier';
import { LITESTRIPE_STRIPE_CLIENT } from './stripe/stripe-client.decorator';
import { createStripeClientProviders } from './stripe/stripe-client.providers';
import { StripeRateLimiter } from './stripe/stripe-rate-limiter';
import { SubscriptionSyncService } from './sync/subscription-sync.service';
import { syncProviders } from './sync/sync.providers';
import { webhookProviders } from './webhook/webhook.providers';
import { WebhookEventProcessor } from './webhook/webhook-event.processor';

/**
 * Stripe subscriptions for a Nest app: the webhook endpoint, the subscription tables and the
 * domain events. The host registers TypeORM (`TypeOrmModule.forRoot`) and
 * `EventEmitterModule.forRoot()`; this module only adds to them. `forRoot` / `forRootAsync` (from
 * the ConfigurableModuleBuilder) add the options and the webhook controller at its path.
 */
@Module({
  imports: [TypeOrmModule.forFeature(LITESTRIPE_ENTITIES)],
  providers: [
    ...optionsProviders,
    SubscriptionRowChanges,
    ...createStripeClientProviders(),
    ...eventProviders,
    ...stateProviders,
    ...webhookProviders,
    ...accessProviders,
    ...billingProviders,
    ...syncProviders,
    ...retentionProviders,
  ],
  exports: [
    TypeOrmModule,
    LITESTRIPE_OPTIONS,
    LITESTRIPE_ENTITLEMENT_OPTIONS,
    LITESTRIPE_STRIPE_CLIENT,
    StripeRateLimiter,
    SubscriptionService,
    SubscriptionGuard,
    SubscriptionRoutesInspector,
    BillingService,
    WebhookEventProcessor,
    StripeStateApplier,
    OutboxService,
    SubscriptionSyncService,
    RetentionJob,
  ],
})
export class LitestripeModule extends ConfigurableModuleClass {}
