import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LITESTRIPE_OPTIONS } from './config/resolved-options';
import { LITESTRIPE_ENTITIES } from './entities';
import { ASYNC_OPTIONS_TYPE, ConfigurableModuleClass, DEFAULT_WEBHOOK_PATH, OPTIONS_TYPE } from './litestripe.module-definition';
import { OutboxService } from './events/outbox/outbox.service';
import { createStripeClientProviders } from './stripe/stripe-client.providers';
import { LITESTRIPE_STRIPE_CLIENT } from './stripe/stripe-client.decorator';
import { StripeRateLimiter } from './stripe/stripe-rate-limiter';
import { outboxProviders, resolvedOptionsProvider, retentionProviders, webhookProviders } from './litestripe.providers';
import { RetentionJob } from './retention/retention.job';
import { subscriptionExports, subscriptionProviders } from './subscriptions/subscriptions.providers';
import { SubscriptionSyncService } from './sync/subscription-sync.service';
import { syncProviders } from './sync/sync.providers';
import { StripeStateApplier } from './webhook/stripe-state.applier';
import { WebhookEventProcessor } from './webhook/webhook-event.processor';
import { createWebhookController } from './webhook/webhook.controller';

/**
 * Stripe subscriptions for a Nest app: the webhook endpoint, the subscription tables and the
 * domain events. The host registers TypeORM (`TypeOrmModule.forRoot`) and
 * `EventEmitterModule.forRoot()`; this module only adds to them.
 */
@Module({})
export class LitestripeModule extends ConfigurableModuleClass {
  static forRoot(options: typeof OPTIONS_TYPE): DynamicModule {
    return withWebhook(super.forRoot(options), options.webhookPath);
  }

  static forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
    return withWebhook(super.forRootAsync(options), options.webhookPath);
  }
}

function withWebhook(definition: DynamicModule, webhookPath = DEFAULT_WEBHOOK_PATH): DynamicModule {
  return {
    ...definition,
    imports: [...(definition.imports ?? []), TypeOrmModule.forFeature(LITESTRIPE_ENTITIES)],
    controllers: [createWebhookController(webhookPath)],
    providers: [...(definition.providers ?? []), resolvedOptionsProvider, ...createStripeClientProviders(), ...webhookProviders, ...outboxProviders, ...subscriptionProviders, ...syncProviders, ...retentionProviders],
    exports: [LITESTRIPE_OPTIONS, LITESTRIPE_STRIPE_CLIENT, StripeRateLimiter, TypeOrmModule, WebhookEventProcessor, StripeStateApplier, OutboxService, SubscriptionSyncService, RetentionJob, ...subscriptionExports],
  };
}
