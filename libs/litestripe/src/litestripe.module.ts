import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { accessProviders } from './access/access.providers.js';
import { SubscriptionRoutesInspector } from './access/subscription-routes.inspector.js';
import { SubscriptionGuard } from './access/subscription.guard.js';
import { SubscriptionService } from './access/subscription.service.js';
import { billingProviders } from './billing/billing.providers.js';
import { BillingService } from './billing/billing.service.js';
import { SubscriptionRowChanges } from './common/subscription-row-changes.js';
import { LITESTRIPE_ENTITLEMENT_OPTIONS } from './config/entitlement-options.js';
import { optionsProviders } from './config/options.providers.js';
import { LITESTRIPE_OPTIONS } from './config/resolved-options.js';
import { LITESTRIPE_ENTITIES } from './entities/index.js';
import { eventProviders } from './events/events.providers.js';
import { OutboxService } from './events/outbox/outbox.service.js';
import { ConfigurableModuleClass } from './litestripe.module-definition.js';
import { retentionProviders } from './retention/retention.providers.js';
import { RetentionJob } from './retention/retention.job.js';
import { stateProviders } from './state/state.providers.js';
import { StripeStateApplier } from './state/stripe-state.applier.js';
import { LITESTRIPE_STRIPE_CLIENT } from './stripe/stripe-client.decorator.js';
import { createStripeClientProviders } from './stripe/stripe-client.providers.js';
import { StripeRateLimiter } from './stripe/stripe-rate-limiter.js';
import { SubscriptionSyncService } from './sync/subscription-sync.service.js';
import { syncProviders } from './sync/sync.providers.js';
import { webhookProviders } from './webhook/webhook.providers.js';
import { WebhookEventProcessor } from './webhook/webhook-event.processor.js';

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
