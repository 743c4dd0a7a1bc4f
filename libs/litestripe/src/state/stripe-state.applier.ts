import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type Stripe from 'stripe';
import { DataSource } from 'typeorm';
import { StripeSubscription } from '../entities/stripe-subscription.entity.js';
import { LitestripeEvents } from '../events/litestripe-events.js';
import { DomainEventPublisher } from '../events/domain-event.publisher.js';
import { OrphanedPaymentWriter } from './orphaned-payment.writer.js';
import { StripePayload, timestampOf } from './stripe-payload.js';
import { SubscriptionObjectApplier } from './subscription-object.applier.js';
import { TERMINAL_STATUSES } from './subscription-snapshot.js';

export type ApplyOutcome = 'created' | 'updated' | 'unchanged';

export interface ApplyStateOptions {
  /** The payer's email for the `OrphanedPayment`, if known. */
  orphanEmail?: string | null;
  /** Record an `OrphanedPayment` when the row ends with no account and the subscription has not ended. @default false */
  recordOrphan?: boolean;
  /** Names the write in the domain events' `stripeEvent.type` (`api.<operation>`). @default 'sync' */
  operation?: string;
}

export interface ApplyStateResult {
  outcome: ApplyOutcome;
  subscription: StripeSubscription;
  orphaned: boolean;
}

/**
 * Writes a subscription object from the Stripe API (a backfill, a re-sync, an answer to your own
 * call) through the same ordering rules, row lock and domain events as a webhook, without an
 * event-log entry, and records an orphan for a paying subscription no account is linked to.
 */
@Injectable()
export class StripeStateApplier {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly applier: SubscriptionObjectApplier,
    private readonly orphans: OrphanedPaymentWriter,
    private readonly publisher: DomainEventPublisher,
  ) {}

  async applySubscription(subscription: Stripe.Subscription, options: ApplyStateOptions = {}): Promise<ApplyStateResult> {
    const { result, orphaned } = await this.dataSource.transaction(async (manager) => {
      const result = await this.applier.applyIn(manager, subscription, { operation: options.operation ?? 'sync' });
      const { row, ref } = result;
      // An ended subscription gives no access to fix: keeping its payer's email would serve no one.
      const orphanEvent =
        options.recordOrphan && !row.accountRef && row.status && !TERMINAL_STATUSES.includes(row.status)
          ? await this.orphans.record(
              manager,
              {
                subscriptionId: row.id,
                customerId: row.customerId,
                checkoutSessionId: null,
                email: options.orphanEmail ?? null,
                amount: null,
                currency: null,
                reason: 'missing_reference',
                rejectedReference: null,
                livemode: row.livemode,
                stripeCreated: timestampOf((subscription as unknown as StripePayload).created, 'created') ?? ref.created,
              },
              ref,
            )
          : null;
      if (orphanEvent) result.events.push(orphanEvent);
      await this.publisher.record(manager, result.events, ref.id);
      return { result, orphaned: orphanEvent !== null };
    });
    await this.publisher.publish(result.events, result.ref.id);
    const names = result.events.map((event) => event.name);
    const outcome: ApplyOutcome = names.includes(LitestripeEvents.SubscriptionCreated) ? 'created' : names.includes(LitestripeEvents.SubscriptionUpdated) ? 'updated' : 'unchanged';
    return { outcome, subscription: result.row, orphaned };
  }
}
