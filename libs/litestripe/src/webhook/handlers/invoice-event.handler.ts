import { Injectable } from '@nestjs/common';
import type Stripe from 'stripe';
import { EntityManager } from 'typeorm';
import { domainEventId, PaymentEvent, PendingDomainEvent, StripeEventRef } from '../../events/litestripe-event.payloads.js';
import { LitestripeEvents } from '../../events/litestripe-events.js';
import { PaymentFacts, paymentChanges } from '../../state/subscription-ordering.js';
import { LockedRow, SubscriptionRowWriter } from '../../state/subscription-row.writer.js';
import { idOf, invoiceSubscriptionId, numberOf, objectOf, StripePayload, stringOf } from '../../state/stripe-payload.js';
import { WebhookEventHandler } from './webhook-event-handler.js';

/** What an invoice payment event says, read from its payload. */
export interface PreparedPayment extends PaymentFacts {
  subscriptionId: string;
  amount: number | null;
  currency: string | null;
  created: number;
}

const OUTCOME_BY_TYPE: Record<string, PaymentFacts['status']> = {
  'invoice.paid': 'succeeded',
  'invoice.payment_succeeded': 'succeeded',
  'invoice.payment_failed': 'failed',
};

/** Invoice payment outcomes of subscriptions: the latest one is kept on the subscription row. */
@Injectable()
export class InvoiceEventHandler implements WebhookEventHandler<PreparedPayment, PreparedPayment> {
  readonly eventTypes = Object.keys(OUTCOME_BY_TYPE);

  constructor(private readonly writer: SubscriptionRowWriter) {}

  read(event: Stripe.Event): PreparedPayment | null {
    const invoice = event.data.object as unknown as StripePayload;
    const invoiceId = stringOf(invoice.id);
    const subscriptionId = invoiceSubscriptionId(invoice);
    if (!invoiceId || !subscriptionId) return null; // a one-off invoice: not ours
    const succeeded = OUTCOME_BY_TYPE[event.type] === 'succeeded';
    return {
      invoiceId,
      subscriptionId,
      customerId: idOf(invoice.customer),
      status: OUTCOME_BY_TYPE[event.type],
      livemode: invoice.livemode === true,
      amount: numberOf(succeeded ? invoice.amount_paid : invoice.amount_due, succeeded ? 'amount_paid' : 'amount_due'),
      currency: stringOf(invoice.currency),
      created: event.created,
    };
  }

  async prepare(payment: PreparedPayment): Promise<PreparedPayment> {
    return payment;
  }

  subscriptionIdOf(payment: PreparedPayment): string {
    return payment.subscriptionId;
  }

  async apply(manager: EntityManager, payment: PreparedPayment, stripeEvent: StripeEventRef, locked: LockedRow): Promise<PendingDomainEvent[]> {
    const change = await this.writer.apply(manager, payment.subscriptionId, (row) => paymentChanges(row, payment, payment.created), locked);
    if (!change) return [];
    const { previous, current } = change;
    // invoice.paid and invoice.payment_succeeded report the same payment: announce it once.
    if (previous && previous.latestInvoiceId === current.latestInvoiceId && previous.latestPaymentStatus === current.latestPaymentStatus) return [];
    if (current.latestInvoiceId !== payment.invoiceId) return [];
    const name = payment.status === 'succeeded' ? LitestripeEvents.PaymentSucceeded : LitestripeEvents.PaymentFailed;
    return [{ name, payload: new PaymentEvent(name, domainEventId(stripeEvent, name), payment.invoiceId, current, payment.amount, payment.currency, stripeEvent) }];
  }
}
