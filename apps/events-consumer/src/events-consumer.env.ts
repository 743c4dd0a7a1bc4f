import type { ConsumerTransport, EventsConsumerOptions } from './events-consumer.options';

/**
 * The options from the environment: DATABASE_URL, RABBITMQ_URL, NATS_SERVERS (comma-separated),
 * CONSUMER_TRANSPORTS (`rmq,jetstream`), CONSUMER_EXCHANGE, CONSUMER_QUEUE, CONSUMER_STREAM,
 * CONSUMER_STREAM_SUBJECTS (comma-separated), CONSUMER_DURABLE, CONSUMER_PREFETCH,
 * CONSUMER_RETRY_DELAY_MS, CONSUMER_HANDLER_DELAY_MS. Unset ones take the defaults.
 */
export function consumerOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): EventsConsumerOptions {
  return {
    databaseUrl: env.DATABASE_URL ?? '',
    transports: list(env.CONSUMER_TRANSPORTS) as ConsumerTransport[] | undefined,
    rabbitmqUrl: env.RABBITMQ_URL || undefined,
    exchange: env.CONSUMER_EXCHANGE || undefined,
    queue: env.CONSUMER_QUEUE || undefined,
    natsServers: list(env.NATS_SERVERS),
    stream: env.CONSUMER_STREAM || undefined,
    streamSubjects: list(env.CONSUMER_STREAM_SUBJECTS),
    durable: env.CONSUMER_DURABLE || undefined,
    prefetch: integer(env.CONSUMER_PREFETCH),
    retryDelayMs: integer(env.CONSUMER_RETRY_DELAY_MS),
    handlerDelayMs: integer(env.CONSUMER_HANDLER_DELAY_MS),
  };
}

function list(value: string | undefined): string[] | undefined {
  return value ? value.split(',').map((item) => item.trim()).filter(Boolean) : undefined;
}

/** NaN for a value that is not a number, so that validation names the variable. */
function integer(value: string | undefined): number | undefined {
  return value ? Number(value) : undefined;
}
