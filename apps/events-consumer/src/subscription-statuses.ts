import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { LitestripeBrokerMessage, SubscriptionEventData } from './litestripe-broker-message';

/**
 * This service's copy of each subscription's status: a state-like effect, so order matters.
 *
 * The order rule: the events of one subscription are ordered by the envelope's `stripeCreated`,
 * then `sequence`. Brokers do not keep that order (a redelivery comes back late; RabbitMQ hands
 * out `prefetch` messages at once; two brokers race), so each row keeps the (stripeCreated,
 * sequence) of the event last applied, and an older event leaves it as it is. Effects that are
 * not state (an email per event) need no such check: deduplication is enough for them.
 */
@Injectable()
export class SubscriptionStatuses {
  async apply(tx: EntityManager, message: LitestripeBrokerMessage<SubscriptionEventData>): Promise<void> {
    const status = message.data.subscription?.status;
    if (!message.subscriptionId || !status) return;
    // One statement, so two deliveries racing for one subscription cannot both win.
    await tx.query(
      `INSERT INTO consumer_subscription_status AS current (subscription_id, status, account_ref, stripe_created, sequence, message_id)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (subscription_id) DO UPDATE
         SET status = excluded.status, account_ref = excluded.account_ref, stripe_created = excluded.stripe_created,
             sequence = excluded.sequence, message_id = excluded.message_id, updated_at = now()
         WHERE (current.stripe_created, current.sequence) < (excluded.stripe_created, excluded.sequence)`,
      [message.subscriptionId, status, message.data.subscription?.accountRef ?? null, stripeTime(message), message.sequence, message.id],
    );
  }
}

/** An event not caused by a Stripe event (a support action) has no `stripeCreated`: it happened when recorded. */
function stripeTime(message: LitestripeBrokerMessage<SubscriptionEventData>): number {
  return message.stripeCreated ?? Math.floor(Date.parse(message.recordedAt) / 1000);
}
