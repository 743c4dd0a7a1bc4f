import { Inject, Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../../config/resolved-options.js';
import { InjectEventEmitter } from '../event-emitter.provider.js';
import { DeliveredMarksBuffer } from './delivered-marks.buffer.js';
import { OutboxRepository } from './outbox.repository.js';
import { describeError } from '../../common/describe-error.js';
import { monotonicMs } from '../../common/clock.js';
import { LitestripeMetrics } from '../../metrics/litestripe-metrics.js';

export interface DispatchableEvent {
  id: string;
  name: string;
  payload: unknown;
}

/**
 * Emits outbox entries to the listeners and records the outcome: delivered, or a failed attempt
 * to retry with backoff. Each entry is awaited on its own, so a failing listener holds up neither
 * the other listeners nor the other events.
 */
@Injectable()
export class DomainEventDispatcher {
  private readonly logger = new Logger('Litestripe');

  constructor(
    @Inject(LITESTRIPE_OPTIONS) private readonly options: ResolvedLitestripeOptions,
    private readonly outbox: OutboxRepository,
    private readonly deliveredMarks: DeliveredMarksBuffer,
    @InjectEventEmitter() private readonly emitter: EventEmitter2,
    private readonly metrics: LitestripeMetrics,
  ) {}

  async dispatch(events: readonly DispatchableEvent[]): Promise<void> {
    const outcomes = await Promise.all(events.map(async (event) => ({ event, error: await this.emit(event) })));
    this.deliveredMarks.add(outcomes.filter((o) => o.error === null).map((o) => o.event.id));
    for (const { event, error } of outcomes) {
      if (error === null) continue;
      this.logger.warn(`A listener of ${event.name} failed (domain event ${event.id}); it will be dispatched again: ${error}`);
      await this.outbox.markFailed(event.id, error, this.options.outbox.maxAttempts, this.options.outbox.retryBackoffMs);
    }
  }

  /** Null when every listener succeeded, else the error. */
  private async emit(event: DispatchableEvent): Promise<string | null> {
    const started = monotonicMs();
    try {
      await this.emitter.emitAsync(event.name, event.payload);
      this.metrics.outboxDispatched('delivered', started);
      return null;
    } catch (error) {
      this.metrics.outboxDispatched('failed', started);
      return describeError(error);
    }
  }
}
