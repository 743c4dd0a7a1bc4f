import type Stripe from 'stripe';
import { EntityManager } from 'typeorm';
import { PendingDomainEvent, StripeEventRef } from '../../events/litestripe-event.payloads.js';
import { LockedRow } from '../../state/subscription-row.writer.js';

/** How an event is being applied: inline (in the webhook's own transaction) or by the inbox's batch applier. */
export interface ApplyContext {
  /**
   * True in a batch transaction, where nothing may call Stripe: a same-second tie that `refetch:
   * 'on-conflict'` would settle by asking Stripe throws `RefetchBeforeApplyError` instead, and the
   * applier asks Stripe before its next transaction.
   */
  batched: boolean;
}

/**
 * Handles some Stripe event types, in three steps:
 * - `read`: what the handler needs from the payload (pure, no I/O; JSON-safe through the inbox's
 *   codec, since deferred processing stores it instead of the payload); null when the event turns
 *   out not to concern the module;
 * - `prepare`: host hooks and Stripe reads, before any transaction opens;
 * - `apply`: writes inside the transaction and returns the domain events to emit after commit.
 */
export interface WebhookEventHandler<Facts = unknown, Prepared = unknown> {
  readonly eventTypes: readonly string[];
  read(event: Stripe.Event): Facts | null;
  /** The subscription `apply` changes: the event's ordering key, and the row locked with its claim. */
  subscriptionIdOf(facts: Facts): string;
  prepare(facts: Facts): Promise<Prepared>;
  apply(manager: EntityManager, prepared: Prepared, stripeEvent: StripeEventRef, locked: LockedRow, context: ApplyContext): Promise<PendingDomainEvent[]>;
}
