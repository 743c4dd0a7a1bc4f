import { Injectable } from '@nestjs/common';
import { DomainEventOutboxEntry } from '../../entities/domain-event-outbox.entity.js';
import { OutboxPoller } from './outbox.poller.js';
import { OutboxRepository } from './outbox.repository.js';

/** The outbox as a host or a health check sees it. */
export interface OutboxStatus {
  /** Entries not yet delivered and not failed (counted up to 10,000). */
  depth: number;
  /**
   * How long the oldest due entry has waited for dispatch since it came due, in ms (0 when none
   * waits). Entries leased to an instance, or backing off after a listener failed, are not due yet.
   */
  lagMs: number;
  /** Entries kept as failed after `outbox.maxAttempts`, waiting for an operator's retry. */
  failed: number;
}

/** For operators: domain events whose listeners kept failing, and a way to send them again. */
@Injectable()
export class OutboxService {
  /** @internal Nest constructs it from the module's providers: its dependencies are not part of the API. */
  constructor(
    private readonly outbox: OutboxRepository,
    private readonly poller: OutboxPoller,
  ) {}

  /** Depth, lag and failed count, read from the database (shared by every instance) on PostgreSQL's clock. */
  status(): Promise<OutboxStatus> {
    return this.outbox.status();
  }

  /** Entries kept as failed after `outbox.maxAttempts`, oldest first, with their last error. */
  listFailed(limit = 100): Promise<DomainEventOutboxEntry[]> {
    return this.outbox.listFailed(limit);
  }

  /** Makes failed entries (all, or these ids) due again and dispatches them now. Returns how many. */
  async retryFailed(ids?: string[]): Promise<number> {
    const count = await this.outbox.retryFailed(ids);
    await this.poller.pollNow();
    return count;
  }

  /** Dispatches due entries now instead of at the next poll, and writes the delivery marks taken so far. */
  dispatchDue(): Promise<void> {
    return this.poller.pollNow();
  }
}
