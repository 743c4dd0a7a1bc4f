import type { OutboxBroker } from '@litestripe/nestjs';
import { jetStreamOutboxBroker, rabbitMqOutboxBroker } from '@litestripe/nestjs/brokers';

/**
 * The chaos host's brokers, from its environment: CHAOS_RABBITMQ_URL (with CHAOS_RABBITMQ_EXCHANGE
 * and the consumer's queue CHAOS_RABBITMQ_QUEUE, bound at connect so nothing is dropped before the
 * consumer starts) and CHAOS_NATS_SERVERS (with CHAOS_NATS_STREAM).
 * Short timeouts, so that an outage is noticed within the run.
 *
 * CHAOS_KILL_AFTER_PUBLISHES=N: the host kills itself (SIGKILL) right after RabbitMQ confirmed its
 * Nth message, before the outbox could mark it: the crash between publish and delivered mark.
 */
export function chaosBrokers(): OutboxBroker[] {
  const brokers: OutboxBroker[] = [];
  const timeouts = { publishTimeoutMs: 3000, connectTimeoutMs: 2000 };
  if (process.env.CHAOS_RABBITMQ_URL) {
    brokers.push(
      rabbitMqOutboxBroker({
        urls: [process.env.CHAOS_RABBITMQ_URL],
        exchange: process.env.CHAOS_RABBITMQ_EXCHANGE ?? 'litestripe',
        queues: process.env.CHAOS_RABBITMQ_QUEUE ? [{ name: process.env.CHAOS_RABBITMQ_QUEUE }] : [],
        socketOptions: { reconnectTimeInSeconds: 0.5 },
        ...timeouts,
      }),
    );
  }
  if (process.env.CHAOS_NATS_SERVERS) {
    brokers.push(
      jetStreamOutboxBroker({
        servers: process.env.CHAOS_NATS_SERVERS,
        stream: { name: process.env.CHAOS_NATS_STREAM ?? 'LITESTRIPE' },
        connectionOptions: { reconnectTimeWait: 250 },
        ...timeouts,
      }),
    );
  }
  const killAfter = Number(process.env.CHAOS_KILL_AFTER_PUBLISHES ?? 0);
  return killAfter > 0 ? brokers.map((broker) => (broker.name === 'rabbitmq' ? killedAfter(broker, killAfter) : broker)) : brokers;
}

function killedAfter(broker: OutboxBroker, publishes: number): OutboxBroker {
  let confirmed = 0;
  return {
    name: broker.name,
    deduplicationWindowMs: broker.deduplicationWindowMs,
    connect: () => broker.connect(),
    close: () => broker.close(),
    async publish(message) {
      await broker.publish(message);
      if (++confirmed >= publishes) process.kill(process.pid, 'SIGKILL');
    },
  };
}
