import { Provider } from '@nestjs/common';
import { EventLogRepository } from './event-log.repository.js';
import { CheckoutEventHandler } from './handlers/checkout-event.handler.js';
import { InvoiceEventHandler } from './handlers/invoice-event.handler.js';
import { SubscriptionEventHandler } from './handlers/subscription-event.handler.js';
import { SubscriptionRefetcher } from './subscription-refetcher.js';
import { WebhookEventProcessor } from './webhook-event.processor.js';
import { WebhookSignatureVerifier } from './webhook-signature.verifier.js';

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
