import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from './entitlement-options';
import { errorMessage } from '../common/describe-error';
import { daysBefore } from '../common/clock';

const SWEEP_EVERY_MS = 60 * 60_000;

/**
 * Erases the email of orphaned payments resolved more than `orphanEmailRetentionDays` ago: at
 * start-up, then hourly on each instance (the UPDATE is idempotent, so instances may overlap).
 * Open orphans keep their email: support still needs it to find the payer.
 */
@Injectable()
export class OrphanEmailRetention implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Litestripe');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly options: ResolvedEntitlementOptions,
  ) {}

  onApplicationBootstrap(): void {
    if (this.options.orphanEmailRetentionDays === null) return;
    this.sweepInBackground();
    this.timer = setInterval(() => this.sweepInBackground(), SWEEP_EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

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

  private sweepInBackground(): void {
    this.running ??= this.sweep().finally(() => (this.running = null));
  }

  private async sweep(): Promise<void> {
    try {
      const erased = await this.eraseExpiredEmails();
      if (erased > 0) this.logger.log(`Erased the email of ${erased} resolved orphaned payment(s) past ${this.options.orphanEmailRetentionDays} days`);
    } catch (error) {
      this.logger.warn(`Erasing expired orphan emails failed; the next sweep retries: ${errorMessage(error)}`);
    }
  }
}
