import { Injectable } from '@nestjs/common';
import { DomainEventOutboxEntry } from '../../entities/domain-event-outbox.entity.js';
import { OutboxPoller } from './outbox.poller.js';
import { OutboxRepository } from './outbox.repository.js';

/** For operators: domain events whose listeners kept failing, and a way to send them again. */
@Injectable()
export class OutboxService {
  /** @internal Nest constructs it from the module's providers: its dependencies are not part of the API. */
  constructor(
    private readonly outbox: OutboxRepository,
    private readonly poller: OutboxPoller,
  ) {}

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
