import { Logger } from '@nestjs/common';
import { consumerOptionsFromEnv } from './events-consumer.env';
import { startEventsConsumer } from './start-events-consumer';

/** Runs the consumer from the environment (see events-consumer.env.ts) until SIGINT or SIGTERM. */
async function bootstrap(): Promise<void> {
  const consumer = await startEventsConsumer(consumerOptionsFromEnv());
  const { transports, queue, stream, durable } = consumer.options;
  const sources = transports.map((transport) => (transport === 'rmq' ? `RabbitMQ queue ${queue}` : `JetStream ${stream}/${durable}`));
  new Logger('EventsConsumer').log(`Consuming litestripe events from ${sources.join(' and ')}`);
  // A parent process (the chaos suite) learns over IPC when messages are being consumed.
  process.send?.({ type: 'started' });
  const stop = () => void consumer.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

bootstrap().catch((error: unknown) => {
  new Logger('EventsConsumer').fatal(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
