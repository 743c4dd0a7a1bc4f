import { Inject, Injectable } from '@nestjs/common';
import type Stripe from 'stripe';
import { EntityManager } from 'typeorm';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../../config/resolved-options.js';
import { OrphanReason } from '../../entities/orphaned-payment.entity.js';
import { CheckoutCompletedEvent, domainEventId, PendingDomainEvent, StripeEventRef } from '../../events/litestripe-event.payloads.js';
import { LitestripeEvents } from '../../events/litestripe-events.js';
import { linkConflictEvent, subscriptionTransitions } from '../../events/subscription-transitions.js';
import { filterMetadata, isWellFormedAccountReference } from '../../common/account-reference.js';
import { storedRejectedReference } from '../../common/rejected-reference.js';
import { OrphanedPaymentWriter } from '../../state/orphaned-payment.writer.js';
import { checkoutChanges } from '../../state/subscription-ordering.js';
import { LockedRow, SubscriptionRowWriter } from '../../state/subscription-row.writer.js';
import { idOf, numberOf, objectOf, StripePayload, stringOf, stringRecordOf, timestampOf } from '../../state/stripe-payload.js';
import { AccountReferenceResolver } from '../../state/account-reference.resolver.js';
import { WebhookEventHandler } from './webhook-event-handler.js';
import { guestIdInMetadata } from '../../common/guest-reference.js';
import { GuestRecords } from '../../guests/guest.records.js';
import { PreparedPurchase, PurchaseEventHandler, PurchaseFacts } from './purchase-event.handler.js';

/** The `client_reference_id` as read: a well-formed one as given, anything else only as the problem it is. */
type ReadReference = { given: string } | { problem: 'missing_reference' | 'invalid_reference' };

/** What a completed checkout says, read from its payload. */
export interface CheckoutFacts {
  sessionId: string;
  subscriptionId: string;
  customerId: string | null;
  reference: ReadReference;
  /** How the reference is kept on an orphan (an email-like one only as a keyed hash). */
  rejectedReference: string | null;
  /** The payer's email, read only when the checkout may become an orphan. */
  email: string | null;
  amount: number | null;
  currency: string | null;
  livemode: boolean;
  sessionCreated: number;
  metadata: Record<string, string>;
  /** A guest checkout the module created (`createGuestCheckoutSession`): its guest, and the email kept for it. */
  guest?: { guestId: string; email: string | null };
}

interface PreparedCheckout extends Omit<CheckoutFacts, 'reference' | 'rejectedReference' | 'email'> {
  accountRef: string | null;
  orphan: { reason: OrphanReason; rejectedReference: string | null; email: string | null } | null;
}

/** A payment-mode checkout's facts, kept apart (subscription checkouts' facts stay as they were, for the inbox's stored work). */
type PaymentCheckout<T> = { purchase: T };

/**
 * `checkout.session.completed` in subscription mode: the only event that carries the host's
 * `client_reference_id`, so it links the subscription to an account, or records an orphan; a guest
 * checkout the module created links it to its guest and records the guest. A
 * session in `payment` mode is a one-time purchase: `PurchaseEventHandler` handles it.
 */
@Injectable()
export class CheckoutEventHandler implements WebhookEventHandler<CheckoutFacts | PaymentCheckout<PurchaseFacts>, PreparedCheckout | PaymentCheckout<PreparedPurchase>> {
  readonly eventTypes = ['checkout.session.completed'] as const;

  constructor(
    @Inject(LITESTRIPE_OPTIONS) private readonly options: ResolvedLitestripeOptions,
    private readonly references: AccountReferenceResolver,
    private readonly writer: SubscriptionRowWriter,
    private readonly orphans: OrphanedPaymentWriter,
    private readonly purchases: PurchaseEventHandler,
    private readonly guests: GuestRecords,
  ) {}

  read(event: Stripe.Event): CheckoutFacts | PaymentCheckout<PurchaseFacts> | null {
    const session = event.data.object as unknown as StripePayload;
    if (session.mode === 'payment') {
      const purchase = this.purchases.read(event);
      return purchase && { purchase };
    }
    const sessionId = stringOf(session.id);
    const subscriptionId = idOf(session.subscription);
    if (session.mode !== 'subscription' || !sessionId || !subscriptionId) return null;
    const candidate = session.client_reference_id;
    const metadata = stringRecordOf(session.metadata);
    // The module creates guest checkouts without a reference; a reference makes it an account's checkout.
    const guestId = candidate === null || candidate === undefined || candidate === '' ? guestIdInMetadata(metadata) : null;
    const payerEmail = () => stringOf(objectOf(session.customer_details)?.email) ?? stringOf(session.customer_email);
    const reference: ReadReference =
      candidate === null || candidate === undefined || candidate === ''
        ? { problem: 'missing_reference' }
        : isWellFormedAccountReference(candidate)
          ? { given: candidate }
          : { problem: 'invalid_reference' };
    // Only a checkout that may end as an orphan needs the payer's email: one whose reference is
    // unusable, or one the host's hook may reject.
    const mayBeOrphan = !guestId && ('problem' in reference || this.options.validateClientReference !== undefined);
    return {
      sessionId,
      subscriptionId,
      customerId: idOf(session.customer),
      reference,
      rejectedReference: mayBeOrphan ? storedRejectedReference(candidate, this.options.secretKey) : null,
      email: mayBeOrphan ? payerEmail() : null,
      amount: numberOf(session.amount_total, 'amount_total'),
      currency: stringOf(session.currency),
      livemode: session.livemode === true,
      sessionCreated: timestampOf(session.created, 'created') ?? event.created,
      metadata: filterMetadata(metadata, this.options.metadataKeys),
      ...(guestId ? { guest: { guestId, email: payerEmail() } } : {}),
    };
  }

  async prepare(facts: CheckoutFacts | PaymentCheckout<PurchaseFacts>): Promise<PreparedCheckout | PaymentCheckout<PreparedPurchase>> {
    if ('purchase' in facts) return { purchase: await this.purchases.prepare(facts.purchase) };
    const { reference, rejectedReference, email, ...checkout } = facts;
    const { sessionId, subscriptionId, customerId, livemode } = checkout;
    const resolved = checkout.guest
      ? { accountRef: await this.guests.currentReference(checkout.guest.guestId), problem: undefined }
      : 'given' in reference
        ? await this.references.resolve(reference.given, { source: 'checkout', checkoutSessionId: sessionId, subscriptionId, customerId, livemode })
        : { accountRef: null, problem: reference.problem };
    return { ...checkout, accountRef: resolved.accountRef, orphan: resolved.problem ? { reason: resolved.problem, rejectedReference, email } : null };
  }

  subscriptionIdOf(checkout: CheckoutFacts | PaymentCheckout<PurchaseFacts>): string {
    return 'purchase' in checkout ? this.purchases.subscriptionIdOf(checkout.purchase) : checkout.subscriptionId;
  }

  async apply(manager: EntityManager, prepared: PreparedCheckout | PaymentCheckout<PreparedPurchase>, stripeEvent: StripeEventRef, locked: LockedRow): Promise<PendingDomainEvent[]> {
    if ('purchase' in prepared) return this.purchases.apply(manager, prepared.purchase, stripeEvent);
    const checkout = prepared;
    const change = await this.writer.apply(manager, checkout.subscriptionId, (row) => checkoutChanges(row, checkout), locked);
    if (!change) return [];
    const events = subscriptionTransitions(change.previous, change.current, stripeEvent);
    const conflict = linkConflictEvent(change.current, checkout.accountRef, 'checkout', checkout.sessionId, stripeEvent);
    if (conflict) events.push(conflict);
    events.push({
      name: LitestripeEvents.CheckoutCompleted,
      payload: new CheckoutCompletedEvent(domainEventId(stripeEvent, LitestripeEvents.CheckoutCompleted), checkout.sessionId, change.current, checkout.accountRef, stripeEvent),
    });
    if (checkout.guest) {
      const { guestId, email } = checkout.guest;
      await this.guests.record(manager, { guestId, email, livemode: checkout.livemode, checkoutSessionId: checkout.sessionId, subscriptionId: checkout.subscriptionId, customerId: checkout.customerId });
    }
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
