import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../config/resolved-options.js';
import { daysBefore } from '../common/clock.js';
import { errorMessage } from '../common/describe-error.js';
import { OutboxRepository } from '../events/outbox/outbox.repository.js';
import { OrphanEmailRetention } from './orphan-email.retention.js';
import { EventLogRepository } from '../webhook/event-log.repository.js';
import { USAGE_KEY_RETENTION_DAYS, UsageRetention } from '../usage/usage-retention.js';

const SWEEP_EVERY_MS = 60 * 60_000;

/** What one sweep removed. */
export interface RetentionSweep {
  /** Event log entries past `eventLogRetentionDays` (by Stripe's `created`), failed ones excepted. */
  events: number;
  /** Outbox entries delivered more than `outbox.retentionDays` ago. */
  outbox: number;
  /** Emails of orphans resolved more than `orphanEmailRetentionDays` ago. */
  orphanEmails: number;
  /** Emails of guests linked to an account, or whose subscription ended, more than `orphanEmailRetentionDays` ago. */
  guestEmails: number;
  /** Usage idempotency keys, and metered use reported to Stripe, older than 35 days. */
  usage: number;
}

/**
 * The module's one retention job: at start-up, then hourly on each instance, it purges the event
 * log, the delivered outbox entries, old usage keys and reported meter events, and erases expired
 * orphan and guest emails. Every step is an
 * idempotent DELETE or UPDATE, so instances may overlap; a failed sweep is retried by the next.
 * Dates are the module clock's.
 */
@Injectable()
export class RetentionJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Litestripe');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  /** @internal Nest constructs it from the module's providers: its dependencies are not part of the API. */
  constructor(
    @Inject(LITESTRIPE_OPTIONS) private readonly options: ResolvedLitestripeOptions,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly eventLog: EventLogRepository,
    private readonly outbox: OutboxRepository,
    private readonly orphanEmails: OrphanEmailRetention,
    private readonly usage: UsageRetention,
  ) {}

  onApplicationBootstrap(): void {
    this.sweepInBackground();
    this.timer = setInterval(() => this.sweepInBackground(), SWEEP_EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Removes what is due now (also what tests and a host's own scheduler call); throws if a step fails. */
  async sweep(): Promise<RetentionSweep> {
    const { clock, eventLogRetentionDays, outbox } = this.options;
    const removed: RetentionSweep = {
      events: await this.eventLog.purgeBefore(this.dataSource, daysBefore(clock, eventLogRetentionDays)),
      outbox: await this.outbox.purgeDelivered(outbox.retentionDays),
      orphanEmails: await this.orphanEmails.eraseExpiredEmails(),
      guestEmails: await this.orphanEmails.eraseExpiredGuestEmails(),
      usage: await this.usage.purgeBefore(daysBefore(clock, USAGE_KEY_RETENTION_DAYS)),
    };
    if (removed.events + removed.outbox + removed.orphanEmails + removed.guestEmails + removed.usage > 0) {
      this.logger.log(
        `Retention: deleted ${removed.events} event log entries, ${removed.outbox} delivered outbox entries and ${removed.usage} usage keys or reported meter events, erased ${removed.orphanEmails} orphan and ${removed.guestEmails} guest email(s)`,
      );
    }
    return removed;
  }

  private sweepInBackground(): void {
    this.running ??= this.sweep()
      .then(
        () => undefined,
        (error) => this.logger.warn(`Retention sweep failed; the next one retries: ${errorMessage(error)}`),
      )
      .finally(() => (this.running = null));
  }
}
