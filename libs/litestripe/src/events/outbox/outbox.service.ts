import { Injectable } from '@nestjs/common';
import { DomainEventOutboxEntry } from '../../entities/domain-event-outbox.entity.js';
import { IN_PROCESS_DESTINATION } from '../../config/brokers-options.validator.js';
import { LitestripeConfigError } from '../../errors/litestripe-config.error.js';
import { OutboxPoller } from './outbox.poller.js';
import { OutboxRepository } from './outbox.repository.js';
import { BrokerPublishing } from './broker-publishing.js';
import { PublicationRepository } from './publication.repository.js';

/** The outbox as a host or a health check sees it, at one destination. */
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

/** One destination of the outbox and its status: the in-process bus (`'in-process'`) or a broker (its name). */
export interface OutboxDestinationStatus extends OutboxStatus {
  destination: string;
}

/**
 * For operators: domain events whose listeners or brokers kept failing, and a way to send them
 * again. Each destination has its own marks: `destination` is `'in-process'` (the default, the
 * app's event bus) or a broker's name (option `brokers`).
 */
@Injectable()
export class OutboxService {
  /** @internal Nest constructs it from the module's providers: its dependencies are not part of the API. */
  constructor(
    private readonly outbox: OutboxRepository,
    private readonly poller: OutboxPoller,
    private readonly publications: PublicationRepository,
    private readonly brokers: BrokerPublishing,
  ) {}

  /** The destinations: `'in-process'` first, then the brokers in the order of option `brokers`. */
  get destinations(): string[] {
    return [IN_PROCESS_DESTINATION, ...this.brokers.destinations];
  }

  /** Depth, lag and failed count at one destination, read from the database (shared by every instance) on PostgreSQL's clock. */
  async status(destination: string = IN_PROCESS_DESTINATION): Promise<OutboxStatus> {
    return this.isBroker(destination) ? this.publications.status(destination) : this.outbox.status();
  }

  /** The status of every destination. */
  statuses(): Promise<OutboxDestinationStatus[]> {
    return Promise.all(this.destinations.map(async (destination) => ({ destination, ...(await this.status(destination)) })));
  }

  /** Entries kept as failed at a destination after `outbox.maxAttempts`, oldest first, with that destination's attempts and last error. */
  async listFailed(limit = 100, destination: string = IN_PROCESS_DESTINATION): Promise<DomainEventOutboxEntry[]> {
    return this.isBroker(destination) ? this.publications.listFailed(destination, limit) : this.outbox.listFailed(limit);
  }

  /** Makes a destination's failed entries (all, or these ids) due again and sends them now. Returns how many. */
  async retryFailed(ids?: string[], destination: string = IN_PROCESS_DESTINATION): Promise<number> {
    if (this.isBroker(destination)) {
      const count = await this.publications.retryFailed(destination, ids);
      await this.brokers.publishDue(destination);
      return count;
    }
    const count = await this.outbox.retryFailed(ids);
    await this.poller.pollNow();
    return count;
  }

  /** Dispatches due entries now instead of at the next poll (in-process, and a pass of every broker), and writes the delivery marks taken so far. */
  async dispatchDue(): Promise<void> {
    await Promise.all([this.poller.pollNow(), this.brokers.publishDue()]);
  }

  private isBroker(destination: string): boolean {
    if (destination === IN_PROCESS_DESTINATION) return false;
    if (this.brokers.destinations.includes(destination)) return true;
    throw new LitestripeConfigError('destination', `${JSON.stringify(destination)} is not a destination of the outbox`, `Known: ${this.destinations.join(', ')}.`);
  }
}
