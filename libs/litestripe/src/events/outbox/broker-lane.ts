import { Logger } from '@nestjs/common';
import type { OutboxBroker } from '../../config/outbox-broker.interface.js';
import type { OutboxOptions } from '../../config/outbox-options.interface.js';
import { describeError, errorMessage } from '../../common/describe-error.js';
import { monotonicMs } from '../../common/clock.js';
import { LitestripeMetrics } from '../../metrics/litestripe-metrics.js';
import { brokerMessage } from './broker-message.js';
import { LeasedPublication, PublicationRepository } from './publication.repository.js';

/** How long an unreachable broker is left alone at most before the next try, when polling is off. */
const MAX_OUTAGE_BACKOFF_MS = 30_000;

/**
 * Publishes the outbox to one broker: a pass leases its due entries in order, publishes them all
 * without waiting between sends, and marks each by the broker's answer. A pass runs after each
 * commit that recorded events, on every poll, and on retry timers. Entries the broker rejected back
 * off and count an attempt, while the entries after them go on. A pass in which nothing got
 * through, entries never tried before included, means the broker is down: those entries are handed
 * back without counting an attempt, and the broker is tried again after a growing pause, so an
 * outage makes entries wait, never fail.
 */
export class BrokerLane {
  private readonly logger = new Logger('Litestripe');
  private pollTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private connected = false;
  private downSince: number | null = null;
  private outageBackoffMs = 0;
  private windowChecked = false;

  constructor(
    private readonly broker: OutboxBroker,
    private readonly publications: PublicationRepository,
    private readonly tuning: Required<OutboxOptions>,
    private readonly metrics: LitestripeMetrics,
  ) {}

  get name(): string {
    return this.broker.name;
  }

  start(): void {
    void this.wake();
    if (this.tuning.pollIntervalMs > 0) {
      this.pollTimer = setInterval(() => void this.wake(), this.tuning.pollIntervalMs);
      this.pollTimer.unref();
    }
  }

  /** Runs a pass now, or right after the running one; does nothing while an unreachable broker is left alone. */
  wake(): Promise<void> {
    if (this.stopped || this.retryTimer) return this.running ?? Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.run().finally(() => (this.running = null));
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.pollTimer = this.retryTimer = null;
    await this.running;
    await this.broker.close().catch((error: unknown) => this.logger.warn(`Closing broker ${this.name} failed: ${errorMessage(error)}`));
  }

  private async run(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.pass();
      } catch (error) {
        this.logger.warn(`Publishing the outbox to broker ${this.name} failed; the next pass retries: ${errorMessage(error)}`);
      }
    } while (this.again && !this.stopped && !this.retryTimer);
  }

  private async pass(): Promise<void> {
    if (!this.connected) {
      try {
        await this.broker.connect();
      } catch (error) {
        this.down(describeError(error));
        return;
      }
      this.connected = true;
      this.checkDeduplicationWindow();
    }
    const { batchSize, leaseMs } = this.tuning;
    for (;;) {
      const entries = await this.publications.lease(this.name, batchSize, leaseMs);
      if (entries.length === 0) return;
      const started = monotonicMs();
      const outcomes = await Promise.allSettled(entries.map((entry) => this.send(entry)));
      const delivered = entries.filter((_, i) => outcomes[i].status === 'fulfilled').map((entry) => entry.id);
      const rejected = entries.flatMap((entry, i) => {
        const outcome = outcomes[i];
        return outcome.status === 'rejected' ? [{ id: entry.id, error: describeError(outcome.reason) }] : [];
      });
      this.metrics.outboxPublished(this.name, 'delivered', delivered.length, started);
      this.metrics.outboxPublished(this.name, 'failed', rejected.length, started);
      // Never attempted at this broker before: their failure, with nothing getting through, says the broker is down.
      const neverTried = new Set(entries.filter((entry) => entry.attempts === 0).map((entry) => entry.id));
      const fresh = rejected.filter(({ id }) => neverTried.has(id));
      if (delivered.length === 0 && fresh.length > 0) {
        // The broker is down, not the entries at fault. Entries it already rejected while reachable
        // go on counting, so a poison message still ends failed.
        await this.publications.release(this.name, fresh.map(({ id }) => id), fresh[0].error);
        await this.markRejected(rejected.filter(({ id }) => !neverTried.has(id)));
        this.connected = false;
        this.down(fresh[0].error);
        return;
      }
      if (delivered.length > 0) this.up();
      await this.publications.markDelivered(this.name, delivered);
      await this.markRejected(rejected);
      if (entries.length < batchSize) return;
    }
  }

  private async markRejected(rejected: readonly { id: string; error: string }[]): Promise<void> {
    for (const { id, error } of rejected) {
      this.logger.warn(`Broker ${this.name} did not confirm domain event ${id}; it will be published again: ${error}`);
    }
    await this.publications.markFailed(this.name, rejected, this.tuning.maxAttempts, this.tuning.retryBackoffMs);
  }

  /** Sends in call order; a broker that throws instead of rejecting is a rejection too. */
  private send(entry: LeasedPublication): Promise<void> {
    try {
      return this.broker.publish(brokerMessage(entry));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** After a connect: a broker's window is only known then (an existing JetStream stream keeps its own). */
  private checkDeduplicationWindow(): void {
    const window = this.broker.deduplicationWindowMs;
    if (this.windowChecked || window === undefined) return;
    this.windowChecked = true;
    const redelivery = this.tuning.leaseMs + this.tuning.pollIntervalMs;
    if (window < redelivery) {
      this.logger.warn(
        `Broker ${this.name} drops a repeated message id for ${window} ms, less than the outbox's redelivery after a crash (outbox.leaseMs + outbox.pollIntervalMs = ${redelivery} ms): consumers must deduplicate by id.`,
      );
    }
  }

  private down(error: string): void {
    if (this.downSince === null) {
      this.downSince = monotonicMs();
      this.logger.warn(`Broker ${this.name} is unreachable; its domain events wait in the outbox and are published once it is back: ${error}`);
    }
    const cap = this.tuning.pollIntervalMs > 0 ? Math.max(this.tuning.pollIntervalMs, this.tuning.retryBackoffMs) : MAX_OUTAGE_BACKOFF_MS;
    this.outageBackoffMs = Math.min(this.outageBackoffMs === 0 ? this.tuning.retryBackoffMs : this.outageBackoffMs * 2, cap);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.wake();
    }, this.outageBackoffMs);
    this.retryTimer.unref();
  }

  private up(): void {
    if (this.downSince === null) return;
    this.logger.log(`Broker ${this.name} is reachable again after ${Math.round((monotonicMs() - this.downSince) / 1000)} s; publishing the domain events that waited`);
    this.downSince = null;
    this.outageBackoffMs = 0;
  }
}
