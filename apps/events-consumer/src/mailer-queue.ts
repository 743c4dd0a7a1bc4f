import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { LitestripeBrokerMessage, SubscriptionEventData } from './litestripe-broker-message';

/**
 * A pretend mailer: emails are queued as rows in the handler's transaction, and a sender (not part
 * of the example) would send them. Queuing in the database, instead of calling a mail API from
 * the handler, is what lets the email commit or roll back with the processed mark.
 */
@Injectable()
export class MailerQueue {
  async queueWelcome(tx: EntityManager, message: LitestripeBrokerMessage<SubscriptionEventData>): Promise<void> {
    await tx.query('INSERT INTO consumer_welcome_email (subscription_id, account_ref, message_id) VALUES ($1, $2, $3)', [
      subscriptionIdOf(message),
      message.data.subscription?.accountRef ?? null,
      message.id,
    ]);
  }

  async queuePaymentFailed(tx: EntityManager, message: LitestripeBrokerMessage<SubscriptionEventData>): Promise<void> {
    await tx.query('INSERT INTO consumer_payment_failed_email (subscription_id, invoice_id, account_ref, message_id) VALUES ($1, $2, $3, $4)', [
      subscriptionIdOf(message),
      message.data.invoiceId ?? null,
      message.data.subscription?.accountRef ?? null,
      message.id,
    ]);
  }
}

function subscriptionIdOf(message: LitestripeBrokerMessage<SubscriptionEventData>): string {
  const id = message.subscriptionId ?? message.data.subscription?.id;
  if (!id) throw new Error(`events-consumer: ${message.name} ${message.id} names no subscription`);
  return id;
}
