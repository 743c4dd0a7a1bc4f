import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../config/resolved-options';
import { StripeSubscription } from '../entities/stripe-subscription.entity';
import { PendingDomainEvent, StripeEventRef } from '../events/litestripe-event.payloads';
import { hasChanged, subscriptionTransitions } from '../events/subscription-transitions';
import { filterMetadata } from './account-reference';
import { DomainEventPublisher } from './domain-event.publisher';
import { AccountReferenceResolver } from './handlers/account-reference.resolver';
import { OrphanedPaymentWriter } from './orphaned-payment.writer';
import { numberOf, StripePayload } from './stripe-payload';
import { snapshotChanges } from './subscription-changes';
import { SubscriptionRowWriter } from './subscription-row.writer';
import { readSubscription, TERMINAL_STATUSES } from './subscription-snapshot';

export type ApplyOutcome = 'created' | 'updated' | 'unchanged';

export interface ApplyStateOptions {
  /** Unix seconds at which Stripe said so. @default now */
  asOf?: number;
  /** The payer's email for the `OrphanedPayment`, if known. */
  orphanEmail?: string | null;
  /** Record an `OrphanedPayment` when the row ends with no account and the subscription has not ended. @default false */
  recordOrphan?: boolean;
  /** Names the source in the domain events' `stripeEvent.type`. @default 'litestripe.sync' */
  source?: string;
}

export interface ApplyStateResult {
  outcome: ApplyOutcome;
  subscription: StripeSubscription;
  orphaned: boolean;
}

/**
 * Writes what the Stripe API says about a subscription (a backfill, a re-sync, an action's
 * answer) through the same ordering rules, row lock and domain events as a webhook, without an
 * event-log entry: there is no Stripe event to deduplicate.
 */
@Injectable()
export class StripeStateApplier {
  constructor(
    @Inject(LITESTRIPE_OPTIONS) private readonly options: ResolvedLitestripeOptions,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly references: AccountReferenceResolver,
    private readonly writer: SubscriptionRowWriter,
    private readonly orphans: OrphanedPaymentWriter,
    private readonly publisher: DomainEventPublisher,
  ) {}

  async applySubscription(subscription: StripePayload | object, options: ApplyStateOptions = {}): Promise<ApplyStateResult> {
    const snapshot = readSubscription(subscription as StripePayload);
    const asOf = options.asOf ?? Math.floor(Date.now() / 1000);
    const candidate = snapshot.metadata[this.options.accountReferenceMetadataKey];
    const reference = await this.references.resolve(candidate, {
      source: 'subscription_metadata',
      checkoutSessionId: null,
      subscriptionId: snapshot.id,
      customerId: snapshot.customerId,
      livemode: snapshot.livemode,
    });
    const metadata = filterMetadata(snapshot.metadata, this.options.metadataKeys);
    const stripeEvent = new StripeEventRef(`${options.source ?? 'sync'}:${snapshot.id}:${asOf}`, options.source ?? 'litestripe.sync', asOf, snapshot.livemode, null);

    let events: PendingDomainEvent[] = [];
    const result = await this.dataSource.transaction(async (manager): Promise<ApplyStateResult> => {
      const change = await this.writer.apply(manager, snapshot.id, (row) => snapshotChanges(row, snapshot, asOf, reference.accountRef, metadata));
      const current = change!.current;
      events = subscriptionTransitions(change!.previous, current, stripeEvent);
      let orphaned = false;
      // An ended subscription gives no access to fix: keeping its payer's email would serve no one.
      if (options.recordOrphan && !current.accountRef && !TERMINAL_STATUSES.includes(snapshot.status)) {
        const orphanEvent = await this.orphans.record(
          manager,
          {
            subscriptionId: snapshot.id,
            customerId: snapshot.customerId,
            checkoutSessionId: null,
            email: options.orphanEmail ?? null,
            amount: null,
            currency: null,
            reason: reference.problem ?? 'missing_reference',
            rejectedReference: reference.problem && reference.problem !== 'missing_reference' ? candidate : null,
            livemode: snapshot.livemode,
            stripeCreated: numberOf((subscription as StripePayload).created) ?? asOf,
          },
          stripeEvent,
        );
        if (orphanEvent) events.push(orphanEvent);
        orphaned = orphanEvent !== null;
      }
      await this.publisher.record(manager, events, stripeEvent.id);
      // A re-read of the same state only moves the row's as-of time: that is no update.
      const outcome: ApplyOutcome = change!.previous?.status == null ? 'created' : hasChanged(change!.previous, current) ? 'updated' : 'unchanged';
      return { outcome, subscription: current, orphaned };
    });
    await this.publisher.publish(events, stripeEvent.id);
    return result;
  }
}
