import { Provider } from '@nestjs/common';
import { DomainEventPublisher } from './domain-event.publisher';
import { eventEmitterProvider } from './event-emitter.provider';
import { DeliveredMarksBuffer } from './outbox/delivered-marks.buffer';
import { DomainEventCodec } from './outbox/domain-event.codec';
import { DomainEventDispatcher } from './outbox/domain-event.dispatcher';
import { OutboxPoller } from './outbox/outbox.poller';
import { OutboxRepository } from './outbox/outbox.repository';
import { OutboxService } from './outbox/outbox.service';

/** Domain events: recorded in the outbox with the change, then delivered on the host's event bus. */
export const eventProviders: Provider[] = [
  eventEmitterProvider,
  DomainEventPublisher,
  OutboxRepository,
  DeliveredMarksBuffer,
  DomainEventCodec,
  DomainEventDispatcher,
  OutboxPoller,
  OutboxService,
];
