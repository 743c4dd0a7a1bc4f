import type { RmqOptions } from '@nestjs/microservices';

/** A durable queue the RabbitMQ broker declares and binds to its exchange when it connects. */
export interface RabbitMqQueueBinding {
  /** The queue's name. It is declared durable, without arguments; bind a queue with arguments (a quorum queue) yourself. */
  name: string;
  /**
   * The binding's topic pattern over event names (`*` one word, `#` any number).
   * @default 'litestripe.#'
   */
  routingKey?: string;
}

/** Options of {@link rabbitMqOutboxBroker}. */
export interface RabbitMqOutboxBrokerOptions {
  /**
   * The destination's name, under which the outbox keeps its delivered marks: 1-40 of a-z, 0-9,
   * `-`, `_`, starting with a letter or digit, and not 'in-process'. Do not rename it while entries wait.
   * @default 'rabbitmq'
   */
  name?: string;
  /** The broker's AMQP URLs (`amqp://user:password@host:5672/vhost`), tried in order. */
  urls: string[];
  /**
   * The durable topic exchange every event is published to, with the event name as routing key.
   * Declared when the broker connects.
   * @default 'litestripe'
   */
  exchange?: string;
  /**
   * Durable queues to declare and bind at connect. A topic exchange confirms a message no queue
   * is bound to and then drops it silently: without a bound queue, events published before the
   * first consumer declared its queue are lost. List the consumers' queues here, or bind them
   * yourself before the outbox starts.
   * @default []
   */
  queues?: RabbitMqQueueBinding[];
  /** How long a publish may wait for the broker's confirm before it is reported failed (and retried later). @default 10000 */
  publishTimeoutMs?: number;
  /** How long `connect()` may take. @default 5000 */
  connectTimeoutMs?: number;
  /** amqp-connection-manager's options (heartbeat, reconnect delay, TLS through `connectionOptions`). */
  socketOptions?: NonNullable<RmqOptions['options']>['socketOptions'];
}
