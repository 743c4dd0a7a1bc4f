import { ConflictException, Inject, Injectable, Logger, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type Stripe from 'stripe';
import { DataSource, EntityManager } from 'typeorm';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../config/resolved-options.js';
import type { StripeSubscription } from '../entities/stripe-subscription.entity.js';
import type { PendingDomainEvent } from '../events/litestripe-event.payloads.js';
import { InjectStripeClient } from '../stripe/stripe-client.decorator.js';
import { DomainEventPublisher } from '../events/domain-event.publisher.js';
import { AccountReferenceResolver } from '../state/account-reference.resolver.js';
import { queryRows } from '../common/query-rows.js';
import { SubscriptionRowWriter } from '../state/subscription-row.writer.js';
import { SubscriptionObjectApplier, AppliedAnswer } from '../state/subscription-object.applier.js';
import { errorMessage } from '../common/describe-error.js';
import { CustomerRegistry } from './customer.registry.js';
import { SubscriptionRowsReader } from '../access/subscription-rows.reader.js';

/** A claim that never finished (a crash between its steps) stops blocking others after this long. */
export const PENDING_LINK_EXPIRES_MS = 10 * 60_000;

/** What one move of an account link does besides moving it. */
export interface LinkMove<T> {
  subscriptionId: string;
  /** The account the subscription moves to. */
  to: string;
  idempotencyKey: string;
  /**
   * Under the row lock, before Stripe is called and again before the move is applied: throw to
   * refuse, or return `{ done }` when there is nothing to do (e.g. already claimed by this account).
   */
  check(manager: EntityManager, row: StripeSubscription): Promise<{ done: T } | void>;
  /**
   * In the transaction that applies the move: what else it writes, its result and its extra domain
   * events. `before` is the row as locked there, still linked to the account it moves from.
   */
  complete(manager: EntityManager, applied: AppliedAnswer, before: StripeSubscription): Promise<{ result: T; events: PendingDomainEvent[] }>;
}

/** The outcome of `relinkSubscription`. */
export interface Relink {
  subscription: StripeSubscription;
  /** The account the subscription was linked to before (null: none). */
  previousAccountRef: string | null;
}

type Step<T> = { done: T } | { error: unknown } | { applied: T; events: PendingDomainEvent[]; requestId: string; row: StripeSubscription };

/**
 * The claim protocol, which orphan claims and relinks follow, so that neither holds a row lock
 * while it waits for Stripe (up to a minute for a rate-limit slot) and neither overwrites a link
 * that moved meanwhile:
 * 1. lock the subscription row, check, mark the link pending for the target account, commit;
 * 2. write the account into the subscription's Stripe metadata, outside any transaction, with an
 *    idempotency key (its later events then carry it);
 * 3. lock again, check that the link did not move and the mark is still this claim's, and apply:
 *    the link, the domain events (`deactivated` for the old account, `activated` for the new one),
 *    and the caller's own writes, in one transaction.
 * A concurrent move to another account is refused at step 1 while the mark is fresh.
 */
@Injectable()
export class AccountLinks {
  private readonly logger = new Logger('Litestripe');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LITESTRIPE_OPTIONS) private readonly options: ResolvedLitestripeOptions,
    private readonly applier: SubscriptionObjectApplier,
    private readonly publisher: DomainEventPublisher,
    private readonly customers: CustomerRegistry,
    private readonly references: AccountReferenceResolver,
    private readonly reader: SubscriptionRowsReader,
    private readonly writer: SubscriptionRowWriter,
    @InjectStripeClient() private readonly stripe: Stripe,
  ) {}

  /**
   * Moves the subscription to `accountRef` on purpose (support fixing a wrong link, a settled link
   * conflict), or confirms its current account: either way the account is written into the
   * subscription's Stripe metadata, so later events name it. Checked by `validateClientReference`
   * (source `relink`). Resolves an open orphan of the subscription.
   */
  async relink(subscriptionId: string, accountRef: string): Promise<Relink> {
    const current = await this.reader.byId(subscriptionId);
    if (!current) throw notKnown(subscriptionId);
    const verdict = await this.references.resolve(accountRef, {
      source: 'relink',
      checkoutSessionId: null,
      subscriptionId,
      customerId: current.customerId,
      livemode: current.livemode,
      currentAccountRef: current.accountRef,
    });
    if (!verdict.accountRef) throw new UnprocessableEntityException(`validateClientReference rejected account ${accountRef}; subscription ${subscriptionId} was not relinked.`);
    return this.move<Relink>({
      subscriptionId,
      to: accountRef,
      idempotencyKey: `litestripe-relink-${subscriptionId}-${accountRef}-${current.updatedAt.getTime()}`,
      check: async () => undefined,
      complete: async (manager, applied, before) => {
        await queryRows(manager, 'UPDATE litestripe_orphaned_payment SET "resolved_at" = $2 WHERE "subscription_id" = $1 AND "resolved_at" IS NULL', [subscriptionId, this.options.clock.now()]);
        return { result: { subscription: applied.row, previousAccountRef: before.accountRef }, events: [] };
      },
    });
  }

  async move<T>(move: LinkMove<T>): Promise<T> {
    const reserved = await this.dataSource.transaction(async (manager) => {
      const row = await this.lock(manager, move.subscriptionId);
      const early = await move.check(manager, row);
      if (early) return early;
      this.refusePendingElsewhere(row, move.to);
      await queryRows(manager, 'UPDATE litestripe_subscription SET "link_pending_ref" = $2, "link_pending_at" = $3 WHERE "id" = $1', [row.id, move.to, this.options.clock.now()]);
      return { observed: row };
    });
    if ('done' in reserved) return reserved.done;
    const { observed } = reserved;

    let answer: Stripe.Response<Stripe.Subscription>;
    try {
      answer = await this.stripe.subscriptions.update(move.subscriptionId, { metadata: { [this.options.accountReferenceMetadataKey]: move.to } }, { idempotencyKey: move.idempotencyKey });
    } catch (error) {
      // Frees the mark for another attempt; should that fail too, the mark expires.
      await this.clearPending(this.dataSource, move.subscriptionId, move.to).catch((clearError: unknown) =>
        this.logger.warn(`Could not clear the pending link of subscription ${move.subscriptionId}; it expires in ${PENDING_LINK_EXPIRES_MS / 60_000} minutes: ${errorMessage(clearError)}`),
      );
      throw error;
    }

    const step = await this.dataSource.transaction(async (manager): Promise<Step<T>> => {
      const row = await this.lock(manager, move.subscriptionId);
      const ours = row.linkPendingRef === move.to;
      if (ours) await this.clearPending(manager, row.id, move.to);
      try {
        const early = await move.check(manager, row);
        if (early) return early;
      } catch (error) {
        return { error };
      }
      if (!ours || row.accountRef !== observed.accountRef) {
        return {
          error: new ConflictException(
            `The account link of subscription ${row.id} changed while it was being moved to ${move.to} (it is now ${row.accountRef ?? 'unlinked'}); nothing was linked. ` +
              `Stripe's metadata names ${move.to} now: retry to move it on purpose, or relink it to ${row.accountRef ?? 'the right account'}.`,
          ),
        };
      }
      const applied = await this.applier.applyIn(manager, answer, { operation: 'subscription.update', accountRef: move.to, observed });
      const { result, events } = await move.complete(manager, applied, row);
      const all = [...applied.events, ...events];
      await this.publisher.record(manager, all, applied.ref.id);
      return { applied: result, events: all, requestId: applied.ref.id, row: applied.row };
    });
    if ('error' in step) throw step.error;
    if ('done' in step) return step.done;
    await this.publisher.publish(step.events, step.requestId);
    // An explicit move is one of the two ways an account gets a customer (the other: a checkout this module created).
    if (step.row.customerId) await this.customers.remember(move.to, step.row.customerId);
    return step.applied;
  }

  private async lock(manager: EntityManager, id: string): Promise<StripeSubscription> {
    const row = await this.writer.lock(manager, id);
    if (!row) throw notKnown(id);
    return row;
  }

  private refusePendingElsewhere(row: StripeSubscription, to: string): void {
    if (!row.linkPendingRef || row.linkPendingRef === to || !row.linkPendingAt) return;
    const age = this.options.clock.now().getTime() - row.linkPendingAt.getTime();
    if (age >= PENDING_LINK_EXPIRES_MS) return;
    throw new ConflictException(`Subscription ${row.id} is being moved to account ${row.linkPendingRef} (since ${row.linkPendingAt.toISOString()}); retry once that has finished.`);
  }

  /** Clears the mark if it is still the one set for `to`; without touching updated_at: the mark is bookkeeping, not a change of the subscription. */
  private async clearPending(runner: EntityManager | DataSource, id: string, to: string): Promise<void> {
    await queryRows(runner, 'UPDATE litestripe_subscription SET "link_pending_ref" = NULL, "link_pending_at" = NULL WHERE "id" = $1 AND "link_pending_ref" = $2', [id, to]);
  }
}

function notKnown(subscriptionId: string): NotFoundException {
  return new NotFoundException(`Subscription ${subscriptionId} is not known here; is the webhook receiving its events?`);
}
