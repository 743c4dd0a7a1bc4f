import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from '../config/entitlement-options.js';
import { daysBefore } from '../common/clock.js';

/**
 * Erases the email of orphaned payments resolved more than `orphanEmailRetentionDays` ago, and of
 * guests linked to an account, or whose subscription ended, that long ago (whichever came first); the
 * retention job (`retention/retention.job.ts`) runs it at start-up and hourly on each instance (the
 * UPDATE is idempotent, so instances may overlap). Open orphans keep their email: support still
 * needs it to find the payer.
 */
@Injectable()
export class OrphanEmailRetention {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly options: ResolvedEntitlementOptions,
  ) {}

  /** Erases what is due now; returns how many emails were erased. */
  async eraseExpiredEmails(): Promise<number> {
    const days = this.options.orphanEmailRetentionDays;
    if (days === null) return 0;
    const cutoff = daysBefore(this.options.clock, days);
    const [, erased]: [unknown, number] = await this.dataSource.query(
      'UPDATE litestripe_orphaned_payment SET "email" = NULL WHERE "email" IS NOT NULL AND "resolved_at" IS NOT NULL AND "resolved_at" <= $1',
      [cutoff],
    );
    return erased;
  }

  /** Erases guests' emails due now; returns how many were erased. A guest still subscribed and unlinked keeps its email: it is how support finds them. */
  async eraseExpiredGuestEmails(): Promise<number> {
    const days = this.options.orphanEmailRetentionDays;
    if (days === null) return 0;
    // Read first, naming the subscription table first, then write the guests alone: a statement that
    // held the guests and waited for the subscriptions would deadlock with anything that locks them
    // in the schema's order (a test kit's TRUNCATE).
    const due: { id: string }[] = await this.dataSource.query(
      `SELECT g."id" FROM litestripe_subscription s RIGHT JOIN litestripe_guest g ON s."id" = g."subscription_id"
       WHERE g."email" IS NOT NULL AND LEAST(g."linked_at", s."ended_at") <= $1`,
      [daysBefore(this.options.clock, days)],
    );
    if (due.length === 0) return 0;
    const [, erased]: [unknown, number] = await this.dataSource.query('UPDATE litestripe_guest SET "email" = NULL WHERE "id" = ANY($1) AND "email" IS NOT NULL', [due.map((row) => row.id)]);
    return erased;
  }
}
