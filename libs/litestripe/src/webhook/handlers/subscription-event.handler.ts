import { Inject, Injectable, Logger } from '@nestjs/common';
import type Stripe from 'stripe';
import { EntityManager } from 'typeorm';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../../config/resolved-options.js';
import { PendingDomainEvent, StripeEventRef } from '../../events/litestripe-event.payloads.js';
import { LitestripeEvents } from '../../events/litestripe-events.js';
import { linkConflictEvent, subscriptionEvent, subscriptionTransitions } from '../../events/subscription-transitions.js';
import { filterMetadata } from '../../common/account-reference.js';
import { isSameSecondConflict, snapshotChanges } from '../../state/subscription-ordering.js';
import { SubscriptionRefetcher } from '../subscription-refetcher.js';
import { LockedRow, SubscriptionRowWriter } from '../../state/subscription-row.writer.js';
import { readSubscription, SubscriptionSnapshot, TERMINAL_STATUSES } from '../../state/subscription-snapshot.js';
import { UnreadablePayloadError } from '../../errors/unreadable-payload.error.js';
import { StripePayload } from '../../state/stripe-payload.js';
import { AccountReferenceResolver } from '../../state/account-reference.resolver.js';
import { ApplyContext, WebhookEventHandler } from './webhook-event-handler.js';
import { RefetchBeforeApplyError } from '../../errors/refetch-before-apply.error.js';

/** What a subscription event says, read from its payload. */
export interface SubscriptionFacts {
  snapshot: SubscriptionSnapshot;
  created: number;
  trialWillEnd: boolean;
  /** Set by the batch applier when a same-second tie is to be settled with Stripe before the next attempt. */
  refetchTie?: boolean;
}

interface PreparedSubscription extends SubscriptionFacts {
  accountRef: string | null;
  metadata: Record<string, string>;
  /** The snapshot was read from Stripe to settle a tie: it wins the tie it settles. */
  tieSettled: boolean;
}

/** `customer.subscription.*`: the subscription's own state, applied in event order. */
@Injectable()
export class SubscriptionEventHandler implements WebhookEventHandler<SubscriptionFacts, PreparedSubscription> {
  private readonly logger = new Logger('Litestripe');
  readonly eventTypes = [
    'customer.subscription.created',
    'customer.subscription.updated',
    'customer.subscription.deleted',
    'customer.subscription.paused',
    'customer.subscription.resumed',
    'customer.subscription.trial_will_end',
    'customer.subscription.pending_update_applied',
    'customer.subscription.pending_update_expired',
  ] as const;

  constructor(
    @Inject(LITESTRIPE_OPTIONS) private readonly options: ResolvedLitestripeOptions,
    private readonly references: AccountReferenceResolver,
    private readonly writer: SubscriptionRowWriter,
    private readonly refetcher: SubscriptionRefetcher,
  ) {}

  read(event: Stripe.Event): SubscriptionFacts | null {
    try {
      const snapshot = readSubscription(event.data.object as unknown as StripePayload);
      return { snapshot, created: event.created, trialWillEnd: event.type === 'customer.subscription.trial_will_end' };
    } catch (error) {
      if (!(error instanceof UnreadablePayloadError)) throw error;
      // Retrying cannot make a payload readable: record the event as ignored rather than have Stripe retry for days.
      this.logger.warn(`Stripe event ${event.id} (${event.type}) ignored: ${error.message}`);
      return null;
    }
  }

  async prepare(facts: SubscriptionFacts): Promise<PreparedSubscription> {
    let { snapshot, created } = facts;
    const refetch = facts.refetchTie || (this.options.refetch === 'always' && !TERMINAL_STATUSES.includes(snapshot.status));
    const fetched = refetch ? await this.refetcher.fetch(snapshot.id) : null;
    // Stripe's clock and ours differ: what was fetched is never older than the event that asked for
    // it, and later than a tie it settles even when fetched within that same second.
    if (fetched) ({ snapshot, created } = { snapshot: fetched.snapshot, created: Math.max(fetched.asOf, facts.refetchTie ? created + 1 : created) });
    const reference = await this.references.fromSubscriptionMetadata(snapshot);
    return {
      ...facts,
      snapshot,
      created,
      // Asked once: when Stripe could not answer, the payload applies in order, as inline.
      tieSettled: facts.refetchTie === true,
      accountRef: reference,
      metadata: filterMetadata(snapshot.metadata, this.options.metadataKeys),
    };
  }

  subscriptionIdOf(facts: SubscriptionFacts): string {
    return facts.snapshot.id;
  }

  async apply(manager: EntityManager, prepared: PreparedSubscription, stripeEvent: StripeEventRef, locked: LockedRow, context: ApplyContext): Promise<PendingDomainEvent[]> {
    const { snapshot, created, accountRef, metadata } = prepared;
    const change = await this.writer.apply(manager, snapshot.id, async (row) => {
      if (this.options.refetch === 'on-conflict' && !prepared.tieSettled && isSameSecondConflict(row, snapshot, created)) {
        if (context.batched) throw new RefetchBeforeApplyError(snapshot.id);
        const fetched = await this.refetcher.fetch(snapshot.id);
        if (fetched) {
          // Later than the tie it settles, even when fetched within that same second.
          const asOf = Math.max(fetched.asOf, created + 1);
          return snapshotChanges(row, fetched.snapshot, asOf, accountRef, filterMetadata(fetched.snapshot.metadata, this.options.metadataKeys));
        }
      }
      return snapshotChanges(row, snapshot, created, accountRef, metadata);
    }, locked);
    if (!change) return [];
    const events = subscriptionTransitions(change.previous, change.current, stripeEvent);
    const conflict = linkConflictEvent(change.current, accountRef, 'subscription_metadata', null, stripeEvent);
    if (conflict) events.push(conflict);
    if (prepared.trialWillEnd) {
      events.push(subscriptionEvent(LitestripeEvents.SubscriptionTrialWillEnd, change.current, change.previous?.status ?? null, stripeEvent));
    }
    return events;
  }
}
