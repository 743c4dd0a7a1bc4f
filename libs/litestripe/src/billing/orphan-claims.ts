import { ConflictException, Inject, Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../config/resolved-options.js';
import { storedRejectedReference } from '../common/rejected-reference.js';
import { OrphanedPayment } from '../entities/orphaned-payment.entity.js';
import type { StripeSubscription } from '../entities/stripe-subscription.entity.js';
import { domainEventId, OrphanClaimedEvent } from '../events/litestripe-event.payloads.js';
import { LitestripeEvents } from '../events/litestripe-events.js';
import { AccountReferenceResolver } from '../state/account-reference.resolver.js';
import { queryRows } from '../common/query-rows.js';
import { AccountLinks } from './account-links.js';
import { checkedAccountReference } from './subscription-target.js';
/** The outcome of `claimOrphanedPayment`. */
export interface OrphanClaim {
  orphan: OrphanedPayment;
  subscription: StripeSubscription;
  /** True when the orphan had already been claimed by this account: nothing was changed. */
  alreadyClaimed: boolean;
}

/**
 * Support's tool for payments that matched no account: list the open ones, and link one to an
 * account through the claim protocol (`AccountLinks`): the orphan and the subscription are locked
 * only to check and to apply, never while Stripe is called, and a link that moved meanwhile (a
 * webhook, another claim) is never overwritten.
 */
@Injectable()
export class OrphanClaims {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LITESTRIPE_OPTIONS) private readonly options: ResolvedLitestripeOptions,
    private readonly links: AccountLinks,
    private readonly references: AccountReferenceResolver,
  ) {}

  /**
   * Open orphans (or every one, with `includeResolved`), newest first. `rejectedReference` finds
   * those whose checkout carried that reference (an email-like one is matched by its keyed hash).
   */
  list({ includeResolved = false, limit = 100, rejectedReference }: { includeResolved?: boolean; limit?: number; rejectedReference?: string } = {}): Promise<OrphanedPayment[]> {
    return this.dataSource.getRepository(OrphanedPayment).find({
      where: {
        ...(includeResolved ? {} : { resolvedAt: IsNull() }),
        ...(rejectedReference !== undefined ? { rejectedReference: storedRejectedReference(rejectedReference, this.options.secretKey) ?? '' } : {}),
      },
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
    const found = await this.dataSource.getRepository(OrphanedPayment).findOneBy({ id: orphanId });
    if (!found) throw new NotFoundException(`No orphaned payment #${orphanId}.`);
    const subscriptionId = found.subscriptionId;
    // The same check as for a checkout's reference: support cannot link a payment to an account the host would refuse.
    const verdict = await this.references.resolve(account, {
      source: 'orphan_claim',
      checkoutSessionId: found.checkoutSessionId,
      subscriptionId,
      customerId: found.customerId,
      livemode: found.livemode,
    });
    if (!verdict.accountRef) throw new UnprocessableEntityException(`validateClientReference rejected account ${account}; orphaned payment #${orphanId} stays open.`);
    return this.links.move<OrphanClaim>({
      subscriptionId,
      to: account,
      idempotencyKey: `litestripe-claim-${orphanId}-${account}`,
      check: async (manager, row) => {
        const orphan = await this.lockOrphan(manager, orphanId);
        const linkedTo = row.accountRef;
        if (orphan.resolvedAt && linkedTo === account) return { done: { orphan, subscription: row, alreadyClaimed: true } };
        if (orphan.resolvedAt) throw new ConflictException(`Orphaned payment #${orphanId} was already claimed${linkedTo ? ` by account ${linkedTo}` : ''}.`);
        if (linkedTo && linkedTo !== account) {
          throw new ConflictException(`Subscription ${subscriptionId} of orphaned payment #${orphanId} is already linked to account ${linkedTo}; the orphan is stale.`);
        }
      },
      complete: async (manager, applied) => {
        await manager.getRepository(OrphanedPayment).update({ id: orphanId }, { resolvedAt: this.options.clock.now() });
        const name = LitestripeEvents.OrphanClaimed;
        const claimed = new OrphanClaimedEvent(domainEventId(applied.ref, name), orphanId, found.checkoutSessionId, subscriptionId, account, applied.ref);
        const orphan = await manager.getRepository(OrphanedPayment).findOneByOrFail({ id: orphanId });
        return { result: { orphan, subscription: applied.row, alreadyClaimed: false }, events: [{ name, payload: claimed }] };
      },
    });
  }

  private async lockOrphan(manager: EntityManager, orphanId: number): Promise<OrphanedPayment> {
    await queryRows(manager, 'SELECT "id" FROM litestripe_orphaned_payment WHERE "id" = $1 FOR UPDATE', [orphanId]);
    return manager.getRepository(OrphanedPayment).findOneByOrFail({ id: orphanId });
  }
}
