import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CustomStrategy, RmqOptions } from '@nestjs/microservices';
import { EventsConsumerModule } from './events-consumer.module';
import { EventsConsumerOptions, ResolvedConsumerOptions, resolveConsumerOptions } from './events-consumer.options';
import { JetStreamServer } from './jetstream/jetstream.server';
import { ProcessedMessage, ProcessedMessages } from './processed-messages.service';
import { rmqServerOptions } from './rmq/rmq-server.options';

export interface EventsConsumer {
  app: INestApplication;
  /** The options with their defaults filled in. */
  options: ResolvedConsumerOptions;
  /** The messages processed so far (each id once), oldest first. */
  processed(): Promise<ProcessedMessage[]>;
  /** Deliveries skipped as duplicates (an id already processed) since the start. */
  duplicatesSkipped(): number;
  /** Stops consuming (the message in hand is finished), then closes the database. */
  close(): Promise<void>;
}

/**
 * Starts the consumer: a Nest app with no HTTP listener, one microservice server per transport.
 * Resolves once every transport consumes: an unreachable broker is waited for, not an error.
 */
export async function startEventsConsumer(options: EventsConsumerOptions): Promise<EventsConsumer> {
  const resolved = resolveConsumerOptions(options);
  const app = await NestFactory.create(EventsConsumerModule.forRoot(resolved), { logger: resolved.logger });
  if (resolved.transports.includes('rmq')) app.connectMicroservice<RmqOptions>(rmqServerOptions(resolved));
  if (resolved.transports.includes('jetstream')) app.connectMicroservice<CustomStrategy>({ strategy: jetStreamServer(resolved) });
  try {
    await app.init();
    await app.startAllMicroservices();
  } catch (error) {
    await app.close();
    throw error;
  }
  const processed = app.get(ProcessedMessages);
  return { app, options: resolved, processed: () => processed.list(), duplicatesSkipped: () => processed.duplicatesSkipped, close: () => app.close() };
}

function jetStreamServer(options: ResolvedConsumerOptions): JetStreamServer {
  return new JetStreamServer({
    servers: options.natsServers,
    stream: options.stream,
    streamSubjects: options.streamSubjects,
    durable: options.durable,
    maxAckPending: options.prefetch,
    retryDelayMs: options.retryDelayMs,
  });
}
