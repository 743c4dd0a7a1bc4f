import { ConflictException, Inject, Injectable, NotFoundException, Optional, UnprocessableEntityException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type Stripe from 'stripe';
import { DataSource, IsNull } from 'typeorm';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../config/resolved-options';
import { OrphanedPayment } from '../entities/orphaned-payment.entity';
import type { StripeSubscription } from '../entities/stripe-subscription.entity';
import { domainEventId, OrphanClaimedEvent, PendingDomainEvent } from '../events/litestripe-event.payloads';
import { LitestripeEvents } from '../events/litestripe-events';
import { InjectStripeClient } from '../stripe/stripe-client.decorator';
import { DomainEventPublisher } from '../webhook/domain-event.publisher';
import { AccountReferenceResolver } from '../webhook/handlers/account-reference.resolver';
import { queryRows } from '../webhook/query-rows';
import { CustomerRegistry } from './customer.registry';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from './entitlement-options';
import { requireStripe } from './stripe-client.required';
import { SubscriptionRowSync } from '../webhook/subscription-row.sync';
import { SubscriptionRowsReader } from './subscription-rows.reader';
import { checkedAccountReference } from './subscription-target';

/** The outcome of `claimOrphanedPayment`. */
export interface OrphanClaim {
  orphan: OrphanedPayment;
  subscription: StripeSubscription;
  /** True when the orphan had already been claimed by this account: nothing was changed. */
  alreadyClaimed: boolean;
}

/**
 * Support's tool for payments that matched no account: list the open ones, and link one to an
 * account. A claim holds the orphan's row lock from the first check to the commit, so two claims
 * of one orphan (on any instances) run one after the other: the second sees the first's result.
 */
@Injectable()
export class OrphanClaims {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LITESTRIPE_OPTIONS) private readonly options: ResolvedLitestripeOptions,
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly entitlementOptions: ResolvedEntitlementOptions,
    private readonly reader: SubscriptionRowsReader,
    private readonly sync: SubscriptionRowSync,
    private readonly customers: CustomerRegistry,
    private readonly publisher: DomainEventPublisher,
    private readonly references: AccountReferenceResolver,
    @Optional() @InjectStripeClient() private readonly stripe?: Stripe,
  ) {}

  /** Open orphans (or every one, with `includeResolved`), newest first. */
  list({ includeResolved = false, limit = 100 }: { includeResolved?: boolean; limit?: number } = {}): Promise<OrphanedPayment[]> {
    return this.dataSource.getRepository(OrphanedPayment).find({
      where: includeResolved ? {} : { resolvedAt: IsNull() },
      order: { createdAt: 'DESC', id: 'DESC' },
      take: limit,
    });
  }

  /**
   * Links the orphan's subscription to `accountRef`: writes the reference into the Stripe
   * subscription's metadata (so its later events carry it), links the local row, marks the orphan
   * resolved and emits `litestripe.payment.orphan_claimed`. Claiming again for the same account
   * changes nothing; for another account, or when the subscription is already linked to another
   * account (a stale orphan), it is refused with a 409.
   */
  async claim(orphanId: number, accountRef: string): Promise<OrphanClaim> {
    const account = checkedAccountReference(accountRef);
    const stripe = requireStripe(this.stripe);
    let events: PendingDomainEvent[] = [];
    let requestId = '';
    const claim = await this.dataSource.transaction(async (manager): Promise<OrphanClaim> => {
      const locked = await queryRows<{ id: number }>(manager, 'SELECT "id" FROM litestripe_orphaned_payment WHERE "id" = $1 FOR UPDATE', [orphanId]);
      if (!locked.length) throw new NotFoundException(`No orphaned payment #${orphanId}.`);
      const orphan = await manager.getRepository(OrphanedPayment).findOneByOrFail({ id: orphanId });
      const subscriptionId = orphan.subscriptionId;
      if (!subscriptionId) throw new ConflictException(`Orphaned payment #${orphanId} has no subscription to link.`);
      const current = await this.reader.byId(subscriptionId, manager);
      const linkedTo = current?.accountRef ?? null;
      if (orphan.resolvedAt && linkedTo === account && current) return { orphan, subscription: current, alreadyClaimed: true };
      if (orphan.resolvedAt) throw new ConflictException(`Orphaned payment #${orphanId} was already claimed${linkedTo ? ` by account ${linkedTo}` : ''}.`);
      if (linkedTo && linkedTo !== account) {
        throw new ConflictException(`Subscription ${subscriptionId} of orphaned payment #${orphanId} is already linked to account ${linkedTo}; the orphan is stale.`);
      }
      // The same check as for a checkout's reference: support cannot link a payment to an account the host would refuse.
      const verdict = await this.references.resolve(account, {
        source: 'orphan_claim',
        checkoutSessionId: orphan.checkoutSessionId,
        subscriptionId,
        customerId: orphan.customerId,
        livemode: orphan.livemode,
      });
      if (!verdict.accountRef) throw new UnprocessableEntityException(`validateClientReference rejected account ${account}; orphaned payment #${orphanId} stays open.`);
      const answer = await stripe.subscriptions.update(
        subscriptionId,
        { metadata: { [this.options.accountReferenceMetadataKey]: account } },
        { idempotencyKey: `litestripe-claim-${orphanId}-${account}` },
      );
      const result = await this.sync.applyIn(manager, answer, { operation: 'subscription.update', accountRef: account, observed: current });
      requestId = result.ref.id;
      await manager.getRepository(OrphanedPayment).update({ id: orphanId }, { resolvedAt: this.entitlementOptions.clock.now() });
      const name = LitestripeEvents.OrphanClaimed;
      const claimed = new OrphanClaimedEvent(domainEventId(result.ref, name), orphanId, orphan.checkoutSessionId, subscriptionId, account, result.ref);
      events = [...result.events, { name, payload: claimed }];
      await this.publisher.record(manager, events, requestId);
      return { orphan: await manager.getRepository(OrphanedPayment).findOneByOrFail({ id: orphanId }), subscription: result.row, alreadyClaimed: false };
    });
    if (!claim.alreadyClaimed) {
      if (claim.subscription.customerId) await this.customers.remember(account, claim.subscription.customerId);
      await this.publisher.publish(events, requestId);
    }
    return claim;
  }
}
