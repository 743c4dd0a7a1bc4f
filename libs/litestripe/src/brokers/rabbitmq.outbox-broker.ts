import { RmqRecordBuilder, type RmqRecord, type RmqRecordOptions } from '@nestjs/microservices';
import type { LitestripeBrokerMessage, OutboxBroker } from '../config/outbox-broker.interface.js';
import { ClientProxyOutboxBroker } from './client-proxy.outbox-broker.js';
import { OutboxClientRmq } from './outbox.client-rmq.js';
import { resolveRabbitMqOptions } from './rabbitmq-broker-options.js';
import type { RabbitMqOutboxBrokerOptions } from './rabbitmq-broker-options.interface.js';

/**
 * An outbox destination on RabbitMQ: every event goes to a durable topic exchange with the event
 * name as routing key, persistent, through a confirm channel (delivered once the broker confirmed
 * it). The body is Nest's packet `{"pattern": name, "data": message}`, so a Nest RMQ consumer's
 * `@EventPattern(name)` receives the message.
 *
 * @example
 * LitestripeModule.forRoot({ ..., brokers: [rabbitMqOutboxBroker({ urls: [process.env.AMQP_URL!], queues: [{ name: 'billing-events' }] })] })
 */
export function rabbitMqOutboxBroker(options: RabbitMqOutboxBrokerOptions): OutboxBroker {
  const resolved = resolveRabbitMqOptions(options);
  const client = new OutboxClientRmq(
    {
      urls: resolved.urls,
      exchange: resolved.exchange,
      exchangeType: 'topic',
      wildcards: true,
      persistent: true,
      socketOptions: {
        ...resolved.socketOptions,
        // amqplib's `timeout` also covers the AMQP handshake, so a broker that accepts the socket
        // and never answers fails the attempt itself, and the connection manager stops cleanly
        // (closed during an attempt, it waits for it and a reconnect delay). A fifth of the time
        // is left for declaring the exchange and queues.
        connectionOptions: { timeout: Math.ceil(resolved.connectTimeoutMs * 0.8), ...resolved.socketOptions?.connectionOptions },
      },
    },
    resolved.exchange,
    resolved.queues,
  );
  return new ClientProxyOutboxBroker({
    name: resolved.name,
    client,
    toRecord: (message) => rabbitMqRecord(message, resolved.publishTimeoutMs),
    publishTimeoutMs: resolved.publishTimeoutMs,
    connectTimeoutMs: resolved.connectTimeoutMs,
  });
}

function rabbitMqRecord(message: LitestripeBrokerMessage, publishTimeoutMs: number): RmqRecord {
  const recordedAt = Date.parse(message.recordedAt);
  // ClientRMQ passes these on to amqp-connection-manager's publish, whose `timeout` drops a message
  // still waiting for a reconnect: one reported failed is then not also sent later.
  const options: RmqRecordOptions & { timeout: number } = {
    messageId: message.id,
    type: message.name,
    contentType: 'application/json',
    // AMQP timestamps are whole seconds; the recording time stays the same on every redelivery.
    timestamp: Number.isNaN(recordedAt) ? undefined : Math.floor(recordedAt / 1000),
    headers: { 'x-litestripe-version': String(message.version) },
    timeout: publishTimeoutMs,
  };
  return new RmqRecordBuilder(message).setOptions(options).build();
}
