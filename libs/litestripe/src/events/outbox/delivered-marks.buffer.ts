import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { OutboxRepository } from './outbox.repository.js';
import { errorMessage } from '../../common/describe-error.js';

const FLUSH_AFTER_MS = 20;
const FLUSH_AT = 200;
const RETRY_AFTER_MS = 1000;

/**
 * Marks delivered outbox entries in batches, off the webhook's path: one UPDATE for many events
 * instead of a second commit per event. One UPDATE runs at a time, and marks taken meanwhile go
 * together in the next, so under a burst the batches grow instead of a queue of small UPDATEs
 * (whose wait could outlast the lease and let another instance dispatch an entry again).
 * Marks not yet written when the process dies only mean those entries are dispatched again once
 * their lease runs out (delivery is at least once anyway).
 */
@Injectable()
export class DeliveredMarksBuffer implements OnApplicationShutdown {
  private readonly logger = new Logger('Litestripe');
  private pending: string[] = [];
  private writing: readonly string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;

  constructor(private readonly outbox: OutboxRepository) {}

  add(ids: readonly string[]): void {
    if (ids.length === 0) return;
    this.pending.push(...ids);
    if (this.pending.length >= FLUSH_AT) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_AFTER_MS);
  }

  /** Ids delivered but not yet marked (waiting, or being written): a poll must not take them again. */
  get unflushed(): readonly string[] {
    return this.writing.length === 0 ? this.pending : [...this.writing, ...this.pending];
  }

  /** Writes every mark taken so far; resolves when they are committed (or failed and logged). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.inFlight) await this.inFlight;
    if (this.pending.length === 0) return;
    const ids = this.pending;
    this.pending = [];
    this.writing = ids;
    this.inFlight = this.write(ids).finally(() => {
      this.writing = [];
      this.inFlight = null;
    });
    await this.inFlight;
  }

  onApplicationShutdown(): Promise<void> {
    return this.flush();
  }

  private async write(ids: string[]): Promise<void> {
    try {
      await this.outbox.markDelivered(ids);
    } catch (error) {
      // Keep them for the next flush: dispatching them again is allowed, but needless.
      this.pending.push(...ids);
      this.timer ??= setTimeout(() => void this.flush(), RETRY_AFTER_MS);
      this.logger.warn(`Could not mark ${ids.length} domain events delivered yet; retrying: ${errorMessage(error)}`);
    }
  }
}
