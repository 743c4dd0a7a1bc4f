import { RmqOptions, Transport } from '@nestjs/microservices';
import { LitestripeEventNames } from '../litestripe-broker-message';
import type { ResolvedConsumerOptions } from '../events-consumer.options';

/**
 * Nest's own RabbitMQ server on a durable queue bound to litestripe's topic exchange.
 *
 * With `exchange` and `routingKey` set, ServerRMQ asserts the exchange (durable, of
 * `exchangeType`) and binds the queue with `litestripe.#`: every litestripe event. `wildcards:
 * true` lets the `litestripe.#` handler match, and also binds each handler pattern as a routing
 * key of its own (redundant here). Bindings outlive the process: one a later version no longer
 * wants has to be removed by hand.
 */
export function rmqServerOptions(options: ResolvedConsumerOptions): RmqOptions {
  return {
    transport: Transport.RMQ,
    options: {
      urls: [options.rabbitmqUrl],
      queue: options.queue,
      queueOptions: { durable: true },
      exchange: options.exchange,
      exchangeType: 'topic',
      routingKey: LitestripeEventNames.Any,
      wildcards: true,
      // ServerRMQ's default is true (acknowledged on delivery, lost in a crash), whatever its JSDoc says.
      noAck: false,
      prefetchCount: options.prefetch,
    },
  };
}
