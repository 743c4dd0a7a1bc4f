import { Injectable, Logger, Optional } from '@nestjs/common';
import { LitestripeConfigError } from '../config/litestripe-config.error';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { PendingDomainEvent } from '../events/litestripe-event.payloads';

/**
 * Emits domain events after commit. A listener that throws cannot undo what is committed, and
 * answering Stripe with an error would only turn its redelivery into a duplicate, so the error
 * is logged and the remaining events are still emitted.
 */
@Injectable()
export class DomainEventPublisher {
  private readonly logger = new Logger('Litestripe');

  constructor(@Optional() private readonly emitter?: EventEmitter2) {
    if (!emitter) {
      throw new LitestripeConfigError('EventEmitterModule', 'is not registered', 'Add `EventEmitterModule.forRoot()` from @nestjs/event-emitter to the imports of your AppModule.');
    }
  }

  publish(events: readonly PendingDomainEvent[], stripeEventId: string): void {
    for (const { name, payload } of events) {
      try {
        this.emitter!.emit(name, payload);
      } catch (error) {
        this.logger.error(`A listener of ${name} threw while handling Stripe event ${stripeEventId}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}
