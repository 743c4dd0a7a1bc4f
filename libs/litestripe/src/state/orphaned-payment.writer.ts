import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { OrphanReason } from '../entities/orphaned-payment.entity.js';
import { PaymentOrphanedEvent, PendingDomainEvent, StripeEventRef, domainEventId } from '../events/litestripe-event.payloads.js';
import { LitestripeEvents } from '../events/litestripe-events.js';
import { queryRows } from '../common/query-rows.js';

export interface OrphanFacts {
  subscriptionId: string;
  customerId: string | null;
  checkoutSessionId: string | null;
  email: string | null;
  amount: number | null;
  currency: string | null;
  reason: OrphanReason;
  rejectedReference: string | null;
  livemode: boolean;
  /** Unix seconds: when Stripe created the checkout session (or the subscription). */
  stripeCreated: number;
}

/** Records a paying customer that matched no account, once per subscription. */
@Injectable()
export class OrphanedPaymentWriter {
  /** The `litestripe.payment.orphaned` event to emit, or null when the orphan was already known. */
  async record(manager: EntityManager, orphan: OrphanFacts, stripeEvent: StripeEventRef): Promise<PendingDomainEvent | null> {
    const rows = await queryRows<{ id: number }>(
      manager,
      `INSERT INTO litestripe_orphaned_payment ("email", "customer_id", "subscription_id", "checkout_session_id", "amount", "currency", "reason", "rejected_reference", "livemode", "stripe_created")
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, to_timestamp($10))
       ON CONFLICT ("subscription_id") DO NOTHING
       RETURNING "id"`,
      [orphan.email, orphan.customerId, orphan.subscriptionId, orphan.checkoutSessionId, orphan.amount, orphan.currency, orphan.reason, orphan.rejectedReference, orphan.livemode, orphan.stripeCreated],
    );
    if (rows.length === 0) return null;
    const name = LitestripeEvents.PaymentOrphaned;
    const payload = new PaymentOrphanedEvent(domainEventId(stripeEvent, name), Number(rows[0].id), orphan.checkoutSessionId, orphan.subscriptionId, orphan.customerId, orphan.reason, stripeEvent);
    return { name, payload };
  }
}
