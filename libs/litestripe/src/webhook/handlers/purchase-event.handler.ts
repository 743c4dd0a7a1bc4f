import { Inject, Injectable } from '@nestjs/common';
import type Stripe from 'stripe';
import { EntityManager } from 'typeorm';
import { isWellFormedAccountReference } from '../../common/account-reference.js';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from '../../config/entitlement-options.js';
import type { PurchasePaymentStatus } from '../../entities/one-time-purchase.entity.js';
import { PendingDomainEvent, StripeEventRef } from '../../events/litestripe-event.payloads.js';
import { AccountReferenceResolver } from '../../state/account-reference.resolver.js';
import { checkoutPatch, listPurchaseLines, PurchaseCheckout } from '../../state/purchase-checkout.js';
import { purchaseEvents, PurchaseWriter } from '../../state/purchase.writer.js';
import { idOf, numberOf, StripePayload, stringOf, timestampOf } from '../../state/stripe-payload.js';
import { InjectStripeClient } from '../../stripe/stripe-client.decorator.js';
import { WebhookEventHandler } from './webhook-event-handler.js';

/** A paid, pending or failed Checkout in `payment` mode, read from its payload. */
export interface PurchaseCheckoutFacts {
  kind: 'checkout';
  paymentRef: string;
  sessionId: string;
  customerId: string | null;
  /** The `client_reference_id` when well-formed; null when missing or malformed (nothing is granted then). */
  reference: string | null;
  paymentStatus: PurchasePaymentStatus;
  amount: number | null;
  currency: string | null;
  livemode: boolean;
  sessionCreated: number;
}

/** `charge.refunded`: Stripe's running total of what was refunded of the payment. */
export interface RefundFacts {
  kind: 'refund';
  paymentRef: string;
  amount: number | null;
  amountRefunded: number;
  livemode: boolean;
}

/** `charge.dispute.closed` with status `lost`. Older API versions name only the charge. */
export interface DisputeLostFacts {
  kind: 'dispute_lost';
  paymentRef: string | null;
  chargeId: string | null;
  livemode: boolean;
}

export type PurchaseFacts = PurchaseCheckoutFacts | RefundFacts | DisputeLostFacts;

export type PreparedPurchase =
  | (PurchaseCheckout & { kind: 'checkout' })
  | RefundFacts
  | (DisputeLostFacts & { paymentRef: string | null });

const CHECKOUT_STATUS: Record<string, PurchasePaymentStatus> = {
  'checkout.session.completed': 'pending',
  'checkout.session.async_payment_succeeded': 'paid',
  'checkout.session.async_payment_failed': 'failed',
};

/**
 * One-time purchases: Checkout in `payment` mode (its `completed` event comes through
 * `CheckoutEventHandler`, which hands payment-mode sessions here), delayed payments settling, and
 * the refunds and lost disputes that take back what a purchase granted. What a purchase grants is
 * read from the session's line items through the API (never from metadata a payment link could
 * carry), and only prices the catalogue sells once grant anything.
 */
@Injectable()
export class PurchaseEventHandler implements WebhookEventHandler<PurchaseFacts, PreparedPurchase> {
  readonly eventTypes = ['checkout.session.async_payment_succeeded', 'checkout.session.async_payment_failed', 'charge.refunded', 'charge.dispute.closed'] as const;

  constructor(
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly options: ResolvedEntitlementOptions,
    @InjectStripeClient() private readonly stripe: Stripe,
    private readonly references: AccountReferenceResolver,
    private readonly writer: PurchaseWriter,
  ) {}

  read(event: Stripe.Event): PurchaseFacts | null {
    // Without one-time prices in the catalogue there is nothing a payment could grant or a refund take back.
    if (!this.options.catalog.sellsOnce) return null;
    const object = event.data.object as unknown as StripePayload;
    if (event.type in CHECKOUT_STATUS) return this.readCheckout(event, object);
    const livemode = object.livemode === true;
    if (event.type === 'charge.refunded') {
      const paymentRef = idOf(object.payment_intent);
      if (!paymentRef) return null;
      return { kind: 'refund', paymentRef, amount: numberOf(object.amount, 'amount'), amountRefunded: numberOf(object.amount_refunded, 'amount_refunded') ?? 0, livemode };
    }
    if (event.type === 'charge.dispute.closed' && object.status === 'lost') {
      const paymentRef = idOf(object.payment_intent);
      const chargeId = idOf(object.charge);
      return paymentRef || chargeId ? { kind: 'dispute_lost', paymentRef, chargeId, livemode } : null;
    }
    return null;
  }

  subscriptionIdOf(facts: PurchaseFacts): string {
    return facts.paymentRef ?? (facts as DisputeLostFacts).chargeId!;
  }

  async prepare(facts: PurchaseFacts): Promise<PreparedPurchase> {
    if (facts.kind === 'refund') return facts;
    if (facts.kind === 'dispute_lost') {
      if (facts.paymentRef || !facts.chargeId) return facts;
      const charge = await this.stripe.charges.retrieve(facts.chargeId);
      return { ...facts, paymentRef: idOf(charge.payment_intent) };
    }
    const { reference, ...checkout } = facts;
    const context = { source: 'checkout', checkoutSessionId: facts.sessionId, subscriptionId: null, paymentRef: facts.paymentRef, customerId: facts.customerId, livemode: facts.livemode, currentAccountRef: null } as const;
    const [resolved, lines] = await Promise.all([
      reference === null ? { accountRef: null } : this.references.resolve(reference, context),
      listPurchaseLines(this.stripe, facts.sessionId),
    ]);
    return { ...checkout, accountRef: resolved.accountRef, lines };
  }

  async apply(manager: EntityManager, prepared: PreparedPurchase, stripeEvent: StripeEventRef): Promise<PendingDomainEvent[]> {
    if (prepared.kind === 'checkout') {
      const change = await this.writer.apply(manager, prepared.paymentRef, prepared.livemode, (row) => checkoutPatch(row, prepared, this.options.catalog));
      return change ? purchaseEvents(change, stripeEvent) : [];
    }
    if (prepared.paymentRef === null) return [];
    const change = await this.writer.apply(manager, prepared.paymentRef, prepared.livemode, (row) =>
      prepared.kind === 'refund'
        ? { amountRefunded: Math.max(row.amountRefunded, prepared.amountRefunded), amount: row.amount ?? prepared.amount }
        : { disputeLost: true },
    );
    return change ? purchaseEvents(change, stripeEvent) : [];
  }

  private readCheckout(event: Stripe.Event, session: StripePayload): PurchaseCheckoutFacts | null {
    const sessionId = stringOf(session.id);
    if (session.mode !== 'payment' || !sessionId) return null;
    const candidate = session.client_reference_id;
    const paid = session.payment_status === 'paid' || session.payment_status === 'no_payment_required';
    const status = CHECKOUT_STATUS[event.type];
    return {
      kind: 'checkout',
      paymentRef: idOf(session.payment_intent) ?? sessionId,
      sessionId,
      customerId: idOf(session.customer),
      reference: isWellFormedAccountReference(candidate) ? candidate : null,
      paymentStatus: status === 'pending' && paid ? 'paid' : status,
      amount: numberOf(session.amount_total, 'amount_total'),
      currency: stringOf(session.currency),
      livemode: session.livemode === true,
      sessionCreated: timestampOf(session.created, 'created') ?? event.created,
    };
  }
}
