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
import { LITESTRIPE_ENTITIES } from './entities/index.js';
import { eventProviders } from './events/events.providers.js';
import { OutboxService } from './events/outbox/outbox.service.js';
import { ConfigurableModuleClass } from './litestripe.module-definition.js';
import { retentionProviders } from './retention/retention.providers.js';
import { RetentionJob } from './retention/retention.job.js';
import { stateProviders } from './state/state.providers.js';
import { LITESTRIPE_STRIPE_CLIENT } from './stripe/stripe-client.decorator.js';
import { createStripeClientProviders } from './stripe/stripe-client.providers.js';
import { SubscriptionSyncService } from './sync/subscription-sync.service.js';
import { syncProviders } from './sync/sync.providers.js';
import { webhookProviders } from './webhook/webhook.providers.js';
import { RawBodyStartupCheck } from './webhook/raw-body.startup-check.js';
import { WebhookInboxService } from './webhook/inbox/webhook-inbox.service.js';
import { usageProviders } from './usage/usage.providers.js';
import { guestProviders } from './guests/guests.providers.js';
import { GuestRequests } from './access/guest-requests.js';
import { UsageService } from './usage/usage.service.js';
import { ROUTE_USAGE_LIMITS } from './access/usage-limit-requirement.js';
import { adminProviders } from './admin/admin.providers.js';
import { metricsProvider } from './metrics/metrics.providers.js';
import { LitestripeMetrics } from './metrics/litestripe-metrics.js';

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
    metricsProvider,
    SubscriptionRowChanges,
    ...createStripeClientProviders(),
    ...eventProviders,
    ...stateProviders,
    ...webhookProviders,
    RawBodyStartupCheck,
    ...accessProviders,
    ...usageProviders,
    ...guestProviders,
    ...billingProviders,
    ...syncProviders,
    ...retentionProviders,
    ...adminProviders,
  ],
  // What a host injects: the services, the Stripe client, the entities' repositories, and what a
  // SubscriptionGuard the host registers (APP_GUARD, @UseGuards) needs beside them.
  exports: [
    TypeOrmModule,
    LITESTRIPE_STRIPE_CLIENT,
    SubscriptionService,
    UsageService,
    BillingService,
    SubscriptionSyncService,
    OutboxService,
    WebhookInboxService,
    RetentionJob,
    SubscriptionGuard,
    SubscriptionRoutesInspector,
    ROUTE_USAGE_LIMITS,
    GuestRequests,
    LITESTRIPE_ENTITLEMENT_OPTIONS,
    LitestripeMetrics,
  ],
})
export class LitestripeModule extends ConfigurableModuleClass {}
