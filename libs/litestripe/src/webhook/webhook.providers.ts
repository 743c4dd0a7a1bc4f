import { Provider } from '@nestjs/common';
import { EventLogRepository } from './event-log.repository';
import { CheckoutEventHandler } from './handlers/checkout-event.handler';
import { InvoiceEventHandler } from './handlers/invoice-event.handler';
import { SubscriptionEventHandler } from './handlers/subscription-event.handler';
import { SubscriptionRefetcher } from './subscription-refetcher';
import { WebhookEventProcessor } from './webhook-event.processor';
import { WebhookSignatureVerifier } from './webhook-signature.verifier';

/** Webhook ingest: a verified delivery to committed state, recorded once in the event log. */
export const webhookProviders: Provider[] = [
  WebhookSignatureVerifier,
  EventLogRepository,
  SubscriptionRefetcher,
  SubscriptionEventHandler,
  CheckoutEventHandler,
  InvoiceEventHandler,
  WebhookEventProcessor,
];
