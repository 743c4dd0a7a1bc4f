import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../config/resolved-options.js';
import { OrphanReason } from '../entities/orphaned-payment.entity.js';
import { ClientReferenceContext } from '../config/litestripe-options.interface.js';
import { isWellFormedAccountReference } from '../common/account-reference.js';
import { SubscriptionSnapshot } from './subscription-snapshot.js';
import { guestIdInMetadata, guestReference } from '../common/guest-reference.js';

export type ResolvedReference = { accountRef: string; problem?: undefined } | { accountRef: null; problem: OrphanReason };

/** The context of a reference; the subscription's current link is looked up when not given. */
export type ReferenceContext = Omit<ClientReferenceContext, 'currentAccountRef'> & { currentAccountRef?: string | null };

/** Turns a reference found in a payload into an account to link, or the reason it cannot be one. */
@Injectable()
export class AccountReferenceResolver {
  constructor(
    @Inject(LITESTRIPE_OPTIONS) private readonly options: ResolvedLitestripeOptions,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async resolve(candidate: unknown, context: ReferenceContext): Promise<ResolvedReference> {
    if (candidate === null || candidate === undefined || candidate === '') return { accountRef: null, problem: 'missing_reference' };
    if (!isWellFormedAccountReference(candidate)) return { accountRef: null, problem: 'invalid_reference' };
    const validate = this.options.validateClientReference;
    if (validate) {
      const currentAccountRef = context.currentAccountRef !== undefined ? context.currentAccountRef : await this.currentLink(context.subscriptionId);
      if (!(await validate(candidate, { ...context, currentAccountRef }))) return { accountRef: null, problem: 'rejected_reference' };
    }
    return { accountRef: candidate };
  }

  /**
   * The account named in a subscription's metadata (`accountReferenceMetadataKey`), if usable; else
   * the guest of a guest checkout the module created (`guest:<id>`, which the host's hook is not
   * asked about: it knows no guests); null otherwise.
   */
  async fromSubscriptionMetadata(snapshot: SubscriptionSnapshot): Promise<string | null> {
    const candidate = snapshot.metadata[this.options.accountReferenceMetadataKey];
    if (!candidate) {
      const guestId = guestIdInMetadata(snapshot.metadata);
      return guestId ? guestReference(guestId) : null;
    }
    const context = { source: 'subscription_metadata', checkoutSessionId: null, subscriptionId: snapshot.id, customerId: snapshot.customerId, livemode: snapshot.livemode } as const;
    return (await this.resolve(candidate, context)).accountRef;
  }

  /** Read without a lock, before the event's transaction: the hook is told, the transaction decides. */
  private async currentLink(subscriptionId: string | null): Promise<string | null> {
    if (subscriptionId === null) return null;
    const rows: { account_ref: string | null }[] = await this.dataSource.query('SELECT "account_ref" FROM litestripe_subscription WHERE "id" = $1', [subscriptionId]);
    return rows[0]?.account_ref ?? null;
  }
}
