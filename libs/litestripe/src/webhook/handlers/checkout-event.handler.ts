import { Inject, Injectable } from '@nestjs/common';
import type Stripe from 'stripe';
import { EntityManager } from 'typeorm';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../../config/resolved-options.js';
import { OrphanReason } from '../../entities/orphaned-payment.entity.js';
import { CheckoutCompletedEvent, domainEventId, PendingDomainEvent, StripeEventRef } from '../../events/litestripe-event.payloads.js';
import { LitestripeEvents } from '../../events/litestripe-events.js';
import { linkConflictEvent, subscriptionTransitions } from '../../events/subscription-transitions.js';
import { filterMetadata } from '../../common/account-reference.js';
import { storedRejectedReference } from '../../common/rejected-reference.js';
import { OrphanedPaymentWriter } from '../../state/orphaned-payment.writer.js';
import { checkoutChanges } from '../../state/subscription-ordering.js';
import { LockedRow, SubscriptionRowWriter } from '../../state/subscription-row.writer.js';
import { idOf, numberOf, objectOf, StripePayload, stringOf, stringRecordOf, timestampOf } from '../../state/stripe-payload.js';
import { AccountReferenceResolver } from '../../state/account-reference.resolver.js';
import { WebhookEventHandler } from './webhook-event-handler.js';

interface PreparedCheckout {
  sessionId: string;
  subscriptionId: string;
  customerId: string | null;
  accountRef: string | null;
  orphan: { reason: OrphanReason; rejectedReference: string | null; email: string | null } | null;
  amount: number | null;
  currency: string | null;
  livemode: boolean;
  sessionCreated: number;
  metadata: Record<string, string>;
}

/**
 * `checkout.session.completed` in subscription mode: the only event that carries the host's
 * `client_reference_id`, so it links the subscription to an account, or records an orphan.
 */
@Injectable()
export class CheckoutEventHandler implements WebhookEventHandler<PreparedCheckout> {
  readonly eventTypes = ['checkout.session.completed'] as const;

  constructor(
    @Inject(LITESTRIPE_OPTIONS) private readonly options: ResolvedLitestripeOptions,
    private readonly references: AccountReferenceResolver,
    private readonly writer: SubscriptionRowWriter,
    private readonly orphans: OrphanedPaymentWriter,
  ) {}

  async prepare(event: Stripe.Event): Promise<PreparedCheckout | null> {
    const session = event.data.object as unknown as StripePayload;
    const sessionId = stringOf(session.id);
    const subscriptionId = idOf(session.subscription);
    if (session.mode !== 'subscription' || !sessionId || !subscriptionId) return null;

    const customerId = idOf(session.customer);
    const livemode = session.livemode === true;
    const candidate = session.client_reference_id;
    const reference = await this.references.resolve(candidate, { source: 'checkout', checkoutSessionId: sessionId, subscriptionId, customerId, livemode });
    const email = stringOf(objectOf(session.customer_details)?.email) ?? stringOf(session.customer_email);
    return {
      sessionId,
      subscriptionId,
      customerId,
      accountRef: reference.accountRef,
      orphan: reference.problem ? { reason: reference.problem, rejectedReference: storedRejectedReference(candidate, this.options.secretKey), email } : null,
      amount: numberOf(session.amount_total, 'amount_total'),
      currency: stringOf(session.currency),
      livemode,
      sessionCreated: timestampOf(session.created, 'created') ?? event.created,
      metadata: filterMetadata(stringRecordOf(session.metadata), this.options.metadataKeys),
    };
  }

  subscriptionIdOf(checkout: PreparedCheckout): string {
    return checkout.subscriptionId;
  }

  async apply(manager: EntityManager, checkout: PreparedCheckout, stripeEvent: StripeEventRef, locked: LockedRow): Promise<PendingDomainEvent[]> {
    const change = await this.writer.apply(manager, checkout.subscriptionId, (row) => checkoutChanges(row, checkout), locked);
    if (!change) return [];
    const events = subscriptionTransitions(change.previous, change.current, stripeEvent);
    const conflict = linkConflictEvent(change.current, checkout.accountRef, 'checkout', checkout.sessionId, stripeEvent);
    if (conflict) events.push(conflict);
    events.push({
      name: LitestripeEvents.CheckoutCompleted,
      payload: new CheckoutCompletedEvent(domainEventId(stripeEvent, LitestripeEvents.CheckoutCompleted), checkout.sessionId, change.current, checkout.accountRef, stripeEvent),
    });
    if (checkout.orphan) {
      const orphaned = await this.orphans.record(
        manager,
        {
          ...checkout.orphan,
          subscriptionId: checkout.subscriptionId,
          customerId: checkout.customerId,
          checkoutSessionId: checkout.sessionId,
          amount: checkout.amount,
          currency: checkout.currency,
          livemode: checkout.livemode,
          stripeCreated: checkout.sessionCreated,
        },
        stripeEvent,
      );
      if (orphaned) events.push(orphaned);
    }
    return events;
  }
}
