import { Inject, Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { EntityManager } from 'typeorm';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../config/resolved-options.js';
import { InjectEventEmitter } from './event-emitter.provider.js';
import { PendingDomainEvent } from './litestripe-event.payloads.js';
import { DomainEventDispatcher } from './outbox/domain-event.dispatcher.js';
import { OutboxRepository } from './outbox/outbox.repository.js';
import { BrokerPublishing } from './outbox/broker-publishing.js';
import { errorMessage } from '../common/describe-error.js';
import { runAsOne, Statement } from '../common/statements.js';

/**
 * Hands domain events to listeners once their transaction has committed.
 * - durable: `record` writes them to the outbox inside the transaction; `publish` dispatches
 *   them after commit and marks them delivered (or retries them later, see OutboxPoller).
 * - in-process: `publish` emits them; a throwing listener is logged and the rest still go out.
 * Either way a listener cannot undo committed state, and the webhook still answers 2xx: a 5xx
 * would only make Stripe's redelivery a duplicate.
 */
@Injectable()
export class DomainEventPublisher {
  private readonly logger = new Logger('Litestripe');
  private readonly durable: boolean;

  constructor(
    @Inject(LITESTRIPE_OPTIONS) private readonly options: ResolvedLitestripeOptions,
    private readonly outbox: OutboxRepository,
    private readonly dispatcher: DomainEventDispatcher,
    private readonly brokers: BrokerPublishing,
    @InjectEventEmitter() private readonly emitter: EventEmitter2,
  ) {
    this.durable = options.domainEvents === 'durable';
  }

  /** Inside the state change's transaction. */
  async record(manager: EntityManager, events: readonly PendingDomainEvent[], stripeEventId: string): Promise<void> {
    await runAsOne(manager, this.recordStatements([{ events, stripeEventId }]));
  }

  /**
   * The statements that record the domain events of one or several Stripe events (a batch of the
   * inbox) in the outbox, to run in the change's transaction, alone or with its other writes
   * (`runAsOne`); none when there is nothing to record (no events, or `domainEvents: 'in-process'`).
   */
  recordStatements(changes: readonly { events: readonly PendingDomainEvent[]; stripeEventId: string }[]): Statement[] {
    if (!this.durable) return [];
    const records = changes.flatMap(({ events, stripeEventId }) => events.map(({ name, payload }) => ({ id: payload.id, name, payload, stripeEventId })));
    return this.outbox.insertStatements(records, this.options.outbox.leaseMs);
  }

  /** After commit. `stripeEventId` names the source in log lines: a Stripe event, an API request, or a batch. */
  async publish(events: readonly PendingDomainEvent[], stripeEventId: string): Promise<void> {
    if (this.durable) {
      if (events.length > 0) this.brokers.wake();
      if (!this.options.inProcessEvents) return;
      await this.dispatcher.dispatch(events.map(({ name, payload }) => ({ id: payload.id, name, payload }))).catch((error: unknown) => {
        // The entries stay in the outbox; the poller dispatches them once their lease runs out.
        this.logger.warn(`Dispatch of the domain events of Stripe event ${stripeEventId} failed; they will be retried: ${errorMessage(error)}`);
      });
      return;
    }
    for (const { name, payload } of events) {
      try {
        this.emitter.emit(name, payload);
      } catch (error) {
        this.logger.error(`A listener of ${name} threw while handling Stripe event ${stripeEventId}: ${errorMessage(error)}`);
      }
    }
  }
}
