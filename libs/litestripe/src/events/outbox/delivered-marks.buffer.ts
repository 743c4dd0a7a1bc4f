import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { OutboxRepository } from './outbox.repository';
import { errorMessage } from '../../common/describe-error';

const FLUSH_AFTER_MS = 20;
const FLUSH_AT = 200;
const RETRY_AFTER_MS = 1000;

/**
 * Marks delivered outbox entries in batches, off the webhook's path: one UPDATE for many events
 * instead of a second commit per event. Marks not yet flushed when the process dies only mean
 * those entries are dispatched again once their lease runs out (delivery is at least once anyway).
 */
@Injectable()
export class DeliveredMarksBuffer implements OnApplicationShutdown {
  private readonly logger = new Logger('Litestripe');
  private pending: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly outbox: OutboxRepository) {}

  add(ids: readonly string[]): void {
    if (ids.length === 0) return;
    this.pending.push(...ids);
    if (this.pending.length >= FLUSH_AT) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_AFTER_MS);
  }

  /** Ids delivered but not yet marked: a poll must not take them again. */
  get unflushed(): readonly string[] {
    return this.pending;
  }

  /** Writes every mark taken so far; resolves when they are committed (or failed and logged). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const ids = this.pending;
    this.pending = [];
    this.flushing = this.flushing.then(async () => {
      if (ids.length === 0) return;
      try {
        await this.outbox.markDelivered(ids);
      } catch (error) {
        // Keep them for the next flush: dispatching them again is allowed, but needless.
        this.pending.push(...ids);
        this.timer ??= setTimeout(() => void this.flush(), RETRY_AFTER_MS);
        this.logger.warn(`Could not mark ${ids.length} domain events delivered yet; retrying: ${errorMessage(error)}`);
      }
    });
    return this.flushing;
  }

  onApplicationShutdown(): Promise<void> {
    return this.flush();
  }
}
