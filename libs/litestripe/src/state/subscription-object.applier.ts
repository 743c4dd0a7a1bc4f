import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type Stripe from 'stripe';
import { DataSource, EntityManager } from 'typeorm';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../config/resolved-options.js';
import { StripeSubscription } from '../entities/stripe-subscription.entity.js';
import { PendingDomainEvent, StripeEventRef } from '../events/litestripe-event.payloads.js';
import { linkConflictEvent, subscriptionTransitions } from '../events/subscription-transitions.js';
import { filterMetadata } from '../common/account-reference.js';
import { DomainEventPublisher } from '../events/domain-event.publisher.js';
import { AccountReferenceResolver } from './account-reference.resolver.js';
import { StripePayload } from './stripe-payload.js';
import { CheckoutFacts, checkoutChanges, snapshotChanges } from './subscription-ordering.js';
import { SubscriptionChanges, SubscriptionRowWriter } from './subscription-row.writer.js';
import { readSubscription } from './subscription-snapshot.js';
import type { LitestripeClock } from '../common/litestripe-clock.interface.js';
import { answeredAtMs } from '../common/clock.js';
import { apiEventRef } from './api-event-ref.js';

/** What to write besides the subscription itself. */
export interface AnswerOptions {
  /** Names the write in the domain events' `stripeEvent.type` (`api.<operation>`). */
  operation: string;
  /** Facts of a completed checkout (account link, customer, checkout metadata), as its webhook would write them. */
  checkout?: CheckoutFacts;
  /** Links the account as well (an orphan claim). */
  accountRef?: string;
  /**
   * The row as read before the request was sent. The answer reflects everything
   * that row did, so it is never dated before it, and wins a same-second tie with it as long as no
   * other write has touched the row since (a later webhook of that second is settled by the write
   * path's `refetch: 'on-conflict'`).
   */
  observed?: Pick<StripeSubscription, 'eventCreated' | 'updatedAt'> | null;
}

/**
 * Writes a subscription object Stripe just answered with (an action's result, or a fresh read of a
 * stale row) to the local row at once, through the write path's own ordering rules and row lock,
 * and publishes the domain events the change amounts to (so the webhook that confirms it later
 * finds nothing left to change, and emits nothing twice).
 *
 * Ordering: the answer is dated by Stripe's `Date` response header, from the clock that also dates
 * Stripe's events (and at least a second after the row the caller saw before asking): a webhook
 * event of a later change still wins, an older one is still refused.
 * The domain events' `stripeEvent` is the API request (`req_...`, type `api.<operation>`).
 */
@Injectable()
export class SubscriptionObjectApplier {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LITESTRIPE_OPTIONS) private readonly options: ResolvedLitestripeOptions,
    private readonly writer: SubscriptionRowWriter,
    private readonly publisher: DomainEventPublisher,
    private readonly references: AccountReferenceResolver,
  ) {}

  /** Writes the answer in a transaction of its own, then publishes the domain events. */
  async apply(answer: Stripe.Subscription | Stripe.Response<Stripe.Subscription>, how: AnswerOptions): Promise<StripeSubscription> {
    const prepared = await this.prepare(answer, how);
    const { row, events } = await this.dataSource.transaction(async (manager) => {
      const result = await this.write(manager, prepared);
      await this.publisher.record(manager, result.events, prepared.ref.id);
      return result;
    });
    await this.publisher.publish(events, prepared.ref.id);
    return row;
  }

  /**
   * Writes the answer in the caller's transaction and returns the domain events it amounts to; the
   * caller records them (`DomainEventPublisher.record`) before commit and publishes them after.
   */
  async applyIn(manager: EntityManager, answer: Stripe.Subscription | Stripe.Response<Stripe.Subscription>, how: AnswerOptions): Promise<AppliedAnswer> {
    return this.write(manager, await this.prepare(answer, how));
  }

  private async prepare(answer: Stripe.Subscription | Stripe.Response<Stripe.Subscription>, how: AnswerOptions): Promise<PreparedAnswer> {
    const snapshot = readSubscription(answer as unknown as StripePayload);
    const response = (answer as Partial<Stripe.Response<Stripe.Subscription>>).lastResponse;
    const answeredAt = Math.max(answerTime(response?.headers, this.options.clock), how.observed?.eventCreated ?? 0);
    const ref = apiEventRef(response?.requestId, snapshot.id, how.operation, answeredAt, snapshot.livemode);
    // An explicit link needs no reference from the payload: the host's hook has already been asked.
    const fromCheckout = how.checkout?.accountRef ?? null;
    const named = how.accountRef ? null : (fromCheckout ?? (await this.references.fromSubscriptionMetadata(snapshot)));
    const accountRef = how.accountRef ?? named;
    const metadata = filterMetadata(snapshot.metadata, this.options.metadataKeys);
    const decide = (row: StripeSubscription | null): SubscriptionChanges | null => {
      const seen = how.observed;
      const unchangedSinceObserved = !!row && !!seen && row.updatedAt.getTime() === seen.updatedAt.getTime() && answeredAt === row.eventCreated;
      // The row is exactly what was seen before asking: the answer is newer whatever the lifecycle stages.
      const base = unchangedSinceObserved ? Object.assign(new StripeSubscription(), row, { statusRank: -1 }) : row;
      const changes = snapshotChanges(base, snapshot, answeredAt, accountRef, metadata);
      const linked = how.accountRef ? { accountRef: how.accountRef } : {};
      if (!how.checkout) return changes ? { ...changes, ...linked } : how.accountRef ? linked : null;
      const checkout = checkoutChanges(row, how.checkout);
      return { ...changes, ...checkout, metadata: { ...row?.metadata, ...changes?.metadata, checkout: how.checkout.metadata } };
    };
    // An explicit link (a claim, a relink) is never a conflict; a reference read from Stripe's answer may be.
    const conflict = how.accountRef ? null : { named, source: fromCheckout ? ('checkout' as const) : ('subscription_metadata' as const) };
    return { id: snapshot.id, ref, decide, conflict };
  }

  private async write(manager: EntityManager, { id, ref, decide, conflict }: PreparedAnswer): Promise<AppliedAnswer> {
    // Never null: a snapshot always makes changes to a row that does not exist yet.
    const change = (await this.writer.apply(manager, id, decide))!;
    const events = subscriptionTransitions(change.previous, change.current, ref);
    const conflictEvent = conflict && linkConflictEvent(change.current, conflict.named, conflict.source, null, ref);
    if (conflictEvent) events.push(conflictEvent);
    return { row: change.current, events, ref };
  }
}

interface PreparedAnswer {
  id: string;
  ref: StripeEventRef;
  decide: (row: StripeSubscription | null) => SubscriptionChanges | null;
  conflict: { named: string | null; source: 'checkout' | 'subscription_metadata' } | null;
}

export interface AppliedAnswer {
  row: StripeSubscription;
  events: PendingDomainEvent[];
  /** The API request, as the domain events name it. */
  ref: StripeEventRef;
}

/** Stripe's clock at the answer (unix seconds), from the `Date` header; the module's clock without one. */
export function answerTime(headers: Record<string, string> | undefined, clock: LitestripeClock): number {
  return Math.floor(answeredAtMs(headers?.date ?? headers?.Date, clock) / 1000);
}
