import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { LitestripeEvents } from '../events/litestripe-events.js';
import { PendingDomainEvent, StripeEventRef } from '../events/litestripe-event.payloads.js';
import { LockedRow } from '../state/subscription-row.writer.js';
import { CheckoutEventHandler } from './handlers/checkout-event.handler.js';
import { InvoiceEventHandler } from './handlers/invoice-event.handler.js';
import { PurchaseEventHandler } from './handlers/purchase-event.handler.js';
import { EntitlementSummaryHandler } from './handlers/entitlement-summary.handler.js';
import { SubscriptionEventHandler } from './handlers/subscription-event.handler.js';
import { ApplyContext, WebhookEventHandler } from './handlers/webhook-event-handler.js';

/** What applying one event did: its outcome in the event log and the domain events to publish. */
export interface AppliedEvent {
  outcome: 'processed' | 'link_conflict';
  events: PendingDomainEvent[];
}

/** The handler of each Stripe event type the module acts on; the inline processor and the inbox share them. */
@Injectable()
export class WebhookHandlers {
  private readonly byType = new Map<string, WebhookEventHandler>();

  constructor(
    subscriptions: SubscriptionEventHandler,
    checkouts: CheckoutEventHandler,
    invoices: InvoiceEventHandler,
    purchases: PurchaseEventHandler,
    features: EntitlementSummaryHandler,
  ) {
    for (const handler of [subscriptions, checkouts, invoices, purchases, features] as WebhookEventHandler[]) {
      for (const type of handler.eventTypes) this.byType.set(type, handler);
    }
  }

  for(type: string): WebhookEventHandler | undefined {
    return this.byType.get(type);
  }

  get types(): string[] {
    return [...this.byType.keys()];
  }
}

/** Applies a prepared event in the caller's transaction; naming another account than the link makes it a `link_conflict`. */
export async function applyEvent(
  handler: WebhookEventHandler,
  manager: EntityManager,
  prepared: unknown,
  stripeEvent: StripeEventRef,
  locked: LockedRow,
  context: ApplyContext,
): Promise<AppliedEvent> {
  const events = await handler.apply(manager, prepared, stripeEvent, locked, context);
  const conflict = events.some((e) => e.name === LitestripeEvents.SubscriptionLinkConflict);
  return { outcome: conflict ? 'link_conflict' : 'processed', events };
}
