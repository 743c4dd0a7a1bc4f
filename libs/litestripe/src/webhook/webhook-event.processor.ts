import { BadRequestException, Inject, Injectable, InternalServerErrorException, Logger, ServiceUnavailableException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type Stripe from 'stripe';
import { DataSource } from 'typeorm';
import { PendingDomainEvent, StripeEventRef } from '../events/litestripe-event.payloads.js';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../config/resolved-options.js';
import { RecordedOutcome } from '../entities/stripe-event-log.entity.js';
import { isDatabaseUnavailable } from '../common/database-unavailable.js';
import { outOfScope, OutOfScopeWarnings } from './event-scope.js';
import { PayloadRangeError } from '../errors/payload-range.error.js';
import { DomainEventPublisher } from '../events/domain-event.publisher.js';
import { EventLogRepository } from './event-log.repository.js';
import { applyEvent, WebhookHandlers } from './webhook-handlers.js';
import { describeError } from '../common/describe-error.js';
import { runAsOne } from '../common/statements.js';
import { SubscriptionRowWriter } from '../state/subscription-row.writer.js';
import { LitestripeMetrics } from '../metrics/litestripe-metrics.js';
import { monotonicMs } from '../common/clock.js';

/**
 * What became of one delivery: applied (`processed`, or `link_conflict` when it named another
 * account than the subscription is linked to), stored in the inbox to be applied
 * (`queued`, `webhookProcessing: 'deferred'`), not this module's (`ignored`), not this app's
 * (`wrong_mode`, `connected_account`: recorded, not applied), or already recorded (`duplicate`).
 */
export type DeliveryOutcome = RecordedOutcome | 'queued' | 'duplicate';


/**
 * Takes a verified event through one database transaction (claim it in the event log, apply it)
 * and emits the resulting domain events once that has committed. A failure rolls everything
 * back, is recorded on the event log, and is rethrown so Stripe gets a 5xx and retries.
 */
@Injectable()
export class WebhookEventProcessor {
  private readonly logger = new Logger('Litestripe');
  private readonly outOfScope: OutOfScopeWarnings;

  constructor(
    @Inject(LITESTRIPE_OPTIONS) private readonly options: ResolvedLitestripeOptions,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly eventLog: EventLogRepository,
    private readonly publisher: DomainEventPublisher,
    private readonly handlers: WebhookHandlers,
    private readonly writer: SubscriptionRowWriter,
    private readonly metrics: LitestripeMetrics,
  ) {
    this.outOfScope = new OutOfScopeWarnings(options.livemode, options.connectedAccounts);
  }

  /** The Stripe event types this module acts on; others are recorded as ignored. */
  get handledEventTypes(): string[] {
    return this.handlers.types;
  }

  async process(event: Stripe.Event): Promise<DeliveryOutcome> {
    const started = monotonicMs();
    const stripeEvent = new StripeEventRef(event.id, event.type, event.created, event.livemode === true, event.account ?? null);
    const scope = outOfScope(event, this.options.livemode);
    let domainEvents: PendingDomainEvent[] | null;
    let outcome: DeliveryOutcome;
    try {
      const handler = scope ? undefined : this.handlers.for(event.type);
      const facts = handler ? handler.read(event) : null;
      const prepared = facts !== null ? await handler!.prepare(facts) : null;
      outcome = scope ?? (facts !== null ? 'processed' : 'ignored');
      domainEvents = await this.dataSource.transaction(async (manager) => {
        const processing = outcome === 'processed';
        const orderingKey = processing ? handler!.subscriptionIdOf(facts) : null;
        const claim = await this.eventLog.claim(manager, event, outcome as RecordedOutcome, orderingKey);
        if (!claim.claimed) return null;
        if (!processing) return [];
        // The claim locked the row: the row's update waits in memory to go out with the event's other writes.
        this.writer.stage(manager);
        const applied = await applyEvent(handler!, manager, prepared, stripeEvent, claim.locked!, { batched: false });
        if (applied.outcome !== 'processed') outcome = applied.outcome;
        await runAsOne(manager, [
          this.writer.flushStatement(manager),
          applied.outcome === 'processed' ? null : this.eventLog.setOutcomeStatement(event.id, applied.outcome),
          ...this.publisher.recordStatements([{ events: applied.events, stripeEventId: event.id }]),
        ]);
        return applied.events;
      });
    } catch (error) {
      throw await this.failed(event, error);
    }
    if (domainEvents === null) {
      this.logger.debug(`Stripe event ${event.id} (${event.type}) is a duplicate; nothing changed`);
      return 'duplicate';
    }
    this.metrics.webhookApplied('inline', started);
    if (scope) this.outOfScope.note(scope, event);
    if (outcome === 'ignored') this.logger.debug(`Stripe event ${event.id} (${event.type}) ignored: not a type or object this module handles`);
    await this.publisher.publish(domainEvents, event.id);
    return outcome;
  }

  private async failed(event: Stripe.Event, error: unknown): Promise<unknown> {
    // Retrying cannot make such a payload readable, and recording it would store what cannot be stored.
    if (error instanceof PayloadRangeError) return new BadRequestException(error.message);
    const unavailable = isDatabaseUnavailable(error);
    try {
      await this.eventLog.recordFailure(this.dataSource, event, error);
    } catch (recordError) {
      this.logger.warn(`Could not record the failure of Stripe event ${event.id}: ${describeError(recordError)}`);
    }
    if (unavailable) {
      this.logger.warn(`Database unavailable while processing Stripe event ${event.id} (${event.type}); answering 503 so Stripe retries`);
      return new ServiceUnavailableException('Database unavailable; Stripe will retry this event');
    }
    this.logger.error(`Processing Stripe event ${event.id} (${event.type}) failed; nothing was written and Stripe will retry: ${describeError(error)}`);
    return new InternalServerErrorException('Processing failed; Stripe will retry this event');
  }
}
