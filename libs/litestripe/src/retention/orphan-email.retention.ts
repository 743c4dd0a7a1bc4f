import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from '../config/entitlement-options.js';
import { daysBefore } from '../common/clock.js';

/**
 * Erases the email of orphaned payments resolved more than `orphanEmailRetentionDays` ago; the
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
}
