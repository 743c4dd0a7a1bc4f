import { Provider } from '@nestjs/common';
import { LITESTRIPE_OPTIONS } from './config/resolved-options';
import { validateOptions } from './config/validate-options';
import { LITESTRIPE_RAW_OPTIONS } from './litestripe.module-definition';
import { eventEmitterProvider } from './events/event-emitter.provider';
import { DeliveredMarksBuffer } from './events/outbox/delivered-marks.buffer';
import { DomainEventCodec } from './events/outbox/domain-event.codec';
import { DomainEventDispatcher } from './events/outbox/domain-event.dispatcher';
import { OutboxPoller } from './events/outbox/outbox.poller';
import { OutboxRepository } from './events/outbox/outbox.repository';
import { OutboxService } from './events/outbox/outbox.service';
import { RetentionJob } from './retention/retention.job';
import { DomainEventPublisher } from './webhook/domain-event.publisher';
import { EventLogRepository } from './webhook/event-log.repository';
import { AccountReferenceResolver } from './webhook/handlers/account-reference.resolver';
import { CheckoutEventHandler } from './webhook/handlers/checkout-event.handler';
import { InvoiceEventHandler } from './webhook/handlers/invoice-event.handler';
import { SubscriptionEventHandler } from './webhook/handlers/subscription-event.handler';
import { OrphanedPaymentWriter } from './webhook/orphaned-payment.writer';
import { StripeStateApplier } from './webhook/stripe-state.applier';
import { SubscriptionRowSync } from './webhook/subscription-row.sync';
import { SubscriptionRefetcher } from './webhook/subscription-refetcher';
import { SubscriptionRowWriter } from './webhook/subscription-row.writer';
import { WebhookEventProcessor } from './webhook/webhook-event.processor';
import { WebhookSignatureVerifier } from './webhook/webhook-signature.verifier';

/** Validates the options once, at start-up, and fills in defaults. */
export const resolvedOptionsProvider: Provider = {
  provide: LITESTRIPE_OPTIONS,
  useFactory: validateOptions,
  inject: [LITESTRIPE_RAW_OPTIONS],
};

/** The write path: webhook delivery to committed state and domain events. */
export const webhookProviders: Provider[] = [
  eventEmitterProvider,
  WebhookSignatureVerifier,
  EventLogRepository,
  SubscriptionRowWriter,
  SubscriptionRefetcher,
  OrphanedPaymentWriter,
  AccountReferenceResolver,
  SubscriptionEventHandler,
  CheckoutEventHandler,
  InvoiceEventHandler,
  DomainEventPublisher,
  WebhookEventProcessor,
  SubscriptionRowSync,
  StripeStateApplier,
];

/** Durable delivery of domain events through the outbox table. */
export const outboxProviders: Provider[] = [OutboxRepository, DeliveredMarksBuffer, DomainEventCodec, DomainEventDispatcher, OutboxPoller, OutboxService];

/** Retention of the event log, the outbox and orphan emails: one job at start-up and hourly. */
export const retentionProviders: Provider[] = [RetentionJob];
