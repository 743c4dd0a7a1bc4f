import { Provider } from '@nestjs/common';
import { DomainEventPublisher } from './domain-event.publisher.js';
import { eventEmitterProvider } from './event-emitter.provider.js';
import { DeliveredMarksBuffer } from './outbox/delivered-marks.buffer.js';
import { DomainEventCodec } from './outbox/domain-event.codec.js';
import { DomainEventDispatcher } from './outbox/domain-event.dispatcher.js';
import { OutboxPoller } from './outbox/outbox.poller.js';
import { OutboxRepository } from './outbox/outbox.repository.js';
import { OutboxService } from './outbox/outbox.service.js';
import { PublicationRepository } from './outbox/publication.repository.js';
import { BrokerPublishing } from './outbox/broker-publishing.js';

/** Domain events: recorded in the outbox with the change, then delivered on the host's event bus and published to its brokers. */
export const eventProviders: Provider[] = [
  eventEmitterProvider,
  DomainEventPublisher,
  OutboxRepository,
  DeliveredMarksBuffer,
  DomainEventCodec,
  DomainEventDispatcher,
  OutboxPoller,
  PublicationRepository,
  BrokerPublishing,
  OutboxService,
];
