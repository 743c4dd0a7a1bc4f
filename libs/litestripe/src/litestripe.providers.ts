import { Provider } from '@nestjs/common';
import { LITESTRIPE_OPTIONS } from './config/resolved-options';
import { validateOptions } from './config/validate-options';
import { LITESTRIPE_RAW_OPTIONS } from './litestripe.module-definition';
import { DomainEventPublisher } from './webhook/domain-event.publisher';
import { EventLogRepository } from './webhook/event-log.repository';
import { AccountReferenceResolver } from './webhook/handlers/account-reference.resolver';
import { CheckoutEventHandler } from './webhook/handlers/checkout-event.handler';
import { InvoiceEventHandler } from './webhook/handlers/invoice-event.handler';
import { SubscriptionEventHandler } from './webhook/handlers/subscription-event.handler';
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
  WebhookSignatureVerifier,
  EventLogRepository,
  SubscriptionRowWriter,
  AccountReferenceResolver,
  SubscriptionEventHandler,
  CheckoutEventHandler,
  InvoiceEventHandler,
  DomainEventPublisher,
  WebhookEventProcessor,
];
