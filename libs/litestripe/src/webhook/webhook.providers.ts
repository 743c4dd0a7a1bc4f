import { Provider } from '@nestjs/common';
import { EventLogRepository } from './event-log.repository.js';
import { CheckoutEventHandler } from './handlers/checkout-event.handler.js';
import { InvoiceEventHandler } from './handlers/invoice-event.handler.js';
import { PurchaseEventHandler } from './handlers/purchase-event.handler.js';
import { EntitlementSummaryHandler } from './handlers/entitlement-summary.handler.js';
import { SubscriptionEventHandler } from './handlers/subscription-event.handler.js';
import { SubscriptionRefetcher } from './subscription-refetcher.js';
import { WebhookEventProcessor } from './webhook-event.processor.js';
import { WebhookSignatureVerifier } from './webhook-signature.verifier.js';
import { WebhookHandlers } from './webhook-handlers.js';
import { InboxRepository } from './inbox/inbox.repository.js';
import { InboxApplier } from './inbox/inbox.applier.js';
import { InboxWakeups } from './inbox/inbox-wakeups.js';
import { InboxIngest } from './inbox/inbox.ingest.js';
import { WebhookInboxService } from './inbox/webhook-inbox.service.js';

/** Webhook ingest: a verified delivery to committed state (inline, or through the inbox), recorded once in the event log. */
export const webhookProviders: Provider[] = [
  WebhookSignatureVerifier,
  EventLogRepository,
  SubscriptionRefetcher,
  SubscriptionEventHandler,
  CheckoutEventHandler,
  InvoiceEventHandler,
  PurchaseEventHandler,
  EntitlementSummaryHandler,
  WebhookHandlers,
  WebhookEventProcessor,
  InboxRepository,
  InboxApplier,
  InboxWakeups,
  InboxIngest,
  WebhookInboxService,
];
