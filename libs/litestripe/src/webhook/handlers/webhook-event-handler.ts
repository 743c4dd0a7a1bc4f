import type Stripe from 'stripe';
import { EntityManager } from 'typeorm';
import { PendingDomainEvent, StripeEventRef } from '../../events/litestripe-event.payloads.js';
import { LockedRow } from '../../state/subscription-row.writer.js';

/**
 * Handles some Stripe event types. `prepare` reads the payload and runs host hooks before the
 * transaction opens (returning null when the event turns out not to concern the module);
 * `apply` writes inside the transaction and returns the domain events to emit after commit.
 */
export interface WebhookEventHandler<Prepared = unknown> {
  readonly eventTypes: readonly string[];
  prepare(event: Stripe.Event): Promise<Prepared | null>;
  /** The subscription row `apply` will change: locked together with the event-log claim. */
  subscriptionIdOf(prepared: Prepared): string;
  apply(manager: EntityManager, prepared: Prepared, stripeEvent: StripeEventRef, locked: LockedRow): Promise<PendingDomainEvent[]>;
}
