import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../../config/resolved-options.js';
import { DomainEventCodec } from './domain-event.codec.js';
import { DeliveredMarksBuffer } from './delivered-marks.buffer.js';
import { DomainEventDispatcher } from './domain-event.dispatcher.js';
import { OutboxRepository } from './outbox.repository.js';
import { errorMessage } from '../../common/describe-error.js';
import { LitestripeMetrics } from '../../metrics/litestripe-metrics.js';

/**
 * Dispatches what no one delivered: entries left by a crash between commit and dispatch, and
 * retries of failed listeners. Runs at start-up and then every `outbox.pollIntervalMs` on each
 * instance; the lease in `OutboxRepository.leaseDue` keeps instances from taking the same entry.
 */
@Injectable()
export class OutboxPoller implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Litestripe');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    @Inject(LITESTRIPE_OPTIONS) private readonly options: ResolvedLitestripeOptions,
    private readonly outbox: OutboxRepository,
    private readonly codec: DomainEventCodec,
    private readonly dispatcher: DomainEventDispatcher,
    private readonly deliveredMarks: DeliveredMarksBuffer,
    private readonly metrics: LitestripeMetrics,
  ) {}

  onApplicationBootstrap(): void {
    if (this.options.domainEvents !== 'durable') return;
    this.metrics.observeBacklog('outbox', () => this.outbox.status());
    // Without the in-process bus every entry is recorded as delivered to it: nothing to poll for.
    if (!this.options.inProcessEvents) return;
    void this.pollNow();
    const interval = this.options.outbox.pollIntervalMs;
    if (interval > 0) {
      this.timer = setInterval(() => void this.pollNow(), interval);
      this.timer.unref();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass over the due entries (also what tests and operators call to not wait for the timer). */
  pollNow(): Promise<void> {
    this.running ??= this.poll().finally(() => (this.running = null));
    return this.running;
  }

  private async poll(): Promise<void> {
    const { batchSize, leaseMs } = this.options.outbox;
    try {
      // Marks first: an entry delivered a moment ago must not look due to a poll.
      await this.deliveredMarks.flush();
      for (;;) {
        const entries = await this.outbox.leaseDue(batchSize, leaseMs, this.deliveredMarks.unflushed);
        if (entries.length === 0) break;
        await this.dispatcher.dispatch(entries.map((entry) => ({ id: entry.id, name: entry.name, payload: this.codec.revive(entry.name, entry.payload) })));
        if (entries.length < batchSize) break;
      }
      await this.deliveredMarks.flush();
    } catch (error) {
      this.logger.warn(`Outbox poll failed; the next one retries: ${errorMessage(error)}`);
    }
  }
}
