import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from '../config/entitlement-options.js';
import { Guest } from '../entities/guest.entity.js';
import { queryRows } from '../common/query-rows.js';
import { guestReference } from '../common/guest-reference.js';

/** What a completed guest checkout tells about its guest. */
export interface GuestCheckoutFacts {
  guestId: string;
  livemode: boolean;
  checkoutSessionId: string;
  subscriptionId: string;
  customerId: string | null;
  email: string | null;
}

/** The guests table: recorded once per guest checkout (by the webhook or the success page, whichever comes first), and read. */
@Injectable()
export class GuestRecords {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly options: ResolvedEntitlementOptions,
  ) {}

  /**
   * Records the guest of a completed checkout. The email is taken only by the first record: a later
   * one (a redelivery, a reload of the success page) never brings back an email retention erased.
   */
  async record(manager: EntityManager, facts: GuestCheckoutFacts): Promise<void> {
    await queryRows(
      manager,
      `INSERT INTO litestripe_guest ("id", "livemode", "checkout_session_id", "subscription_id", "customer_id", "email") VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT ("id") DO UPDATE SET "customer_id" = COALESCE(litestripe_guest."customer_id", EXCLUDED."customer_id")`,
      [facts.guestId, facts.livemode, facts.checkoutSessionId, facts.subscriptionId, facts.customerId, facts.email],
    );
  }

  /**
   * Who a guest's checkout names now: the account the guest was linked to, else `guest:<id>`. A
   * reload of its success page or a redelivered checkout event after the link then confirms the
   * account's link rather than report a conflict.
   */
  async currentReference(guestId: string): Promise<string> {
    const rows: { linked_account_ref: string | null }[] = await this.dataSource.query('SELECT "linked_account_ref" FROM litestripe_guest WHERE "id" = $1', [guestId]);
    return rows[0]?.linked_account_ref ?? guestReference(guestId);
  }

  /** A guest of the module's mode. */
  byId(guestId: string): Promise<Guest | null> {
    return this.dataSource.getRepository(Guest).findOneBy({ id: guestId, livemode: this.options.livemode });
  }

  /** Guests of the module's mode, newest first; with `unlinkedOnly`, those not linked to an account yet. */
  list({ unlinkedOnly = false, limit = 100 }: { unlinkedOnly?: boolean; limit?: number } = {}): Promise<Guest[]> {
    return this.dataSource.getRepository(Guest).find({
      where: { livemode: this.options.livemode, ...(unlinkedOnly ? { linkedAccountRef: IsNull() } : {}) },
      order: { createdAt: 'DESC', id: 'ASC' },
      take: limit,
    });
  }

  /**
   * Guests of the module's mode whose checkout email is one of `emails` (compared without case),
   * newest first; with `unlinkedOnly`, those not linked to an account yet.
   */
  async byEmails(emails: readonly string[], { unlinkedOnly = false }: { unlinkedOnly?: boolean } = {}): Promise<Guest[]> {
    if (emails.length === 0) return [];
    return this.dataSource
      .getRepository(Guest)
      .createQueryBuilder('guest')
      .where('lower(guest.email) = ANY(:emails)', { emails: emails.map((email) => email.toLowerCase()) })
      .andWhere('guest.livemode = :livemode', { livemode: this.options.livemode })
      .andWhere(unlinkedOnly ? 'guest.linked_account_ref IS NULL' : 'TRUE')
      .orderBy('guest.created_at', 'DESC')
      .addOrderBy('guest.id', 'ASC')
      .getMany();
  }
}
