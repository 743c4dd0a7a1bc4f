import type { LoggerService, LogLevel } from '@nestjs/common';

export type ConsumerTransport = 'rmq' | 'jetstream';

export interface EventsConsumerOptions {
  /** PostgreSQL URL of the consumer's own database (its tables are prefixed `consumer_`). */
  databaseUrl: string;
  /**
   * The brokers to consume from. Both at once is fine: a message that arrives on both is
   * applied once, since deduplication is by the envelope's id.
   * @default ['rmq', 'jetstream']
   */
  transports?: ConsumerTransport[];
  /** @default 'amqp://guest:guest@127.0.0.1:5672' */
  rabbitmqUrl?: string;
  /** The topic exchange litestripe publishes to. @default 'litestripe' */
  exchange?: string;
  /** The durable queue this service reads, bound to the exchange with `litestripe.#`. @default 'events-consumer' */
  queue?: string;
  /** @default '127.0.0.1:4222' */
  natsServers?: string | string[];
  /** The JetStream stream; created when missing. @default 'LITESTRIPE' */
  stream?: string;
  /** Subjects of the stream when this service creates it. @default ['litestripe.>'] */
  streamSubjects?: string[];
  /** The durable JetStream consumer this service reads. @default 'events-consumer' */
  durable?: string;
  /**
   * Messages a broker hands out before the first is acknowledged (RabbitMQ prefetch, JetStream max
   * ack pending). RabbitMQ's are handled concurrently; JetStream's one after the other, so keep
   * `prefetch` times the slowest handler under JetStream's 30 s ack wait.
   * @default 10
   */
  prefetch?: number;
  /** How long a message that failed waits before it is delivered again. @default 1000 */
  retryDelayMs?: number;
  /** Extra time each handler takes, to simulate a slow consumer. @default 0 */
  handlerDelayMs?: number;
  /** Nest's logger option. @default ['fatal', 'error', 'warn', 'log'] */
  logger?: LoggerService | LogLevel[] | false;
}

export type ResolvedConsumerOptions = Required<EventsConsumerOptions>;

/** Injection token of the {@link ResolvedConsumerOptions}. */
export const CONSUMER_OPTIONS = Symbol('CONSUMER_OPTIONS');

const TRANSPORTS: ConsumerTransport[] = ['rmq', 'jetstream'];

/** Fills in the defaults and says which option is wrong, and why, before anything connects. */
export function resolveConsumerOptions(options: EventsConsumerOptions): ResolvedConsumerOptions {
  const resolved: ResolvedConsumerOptions = {
    transports: TRANSPORTS,
    rabbitmqUrl: 'amqp://guest:guest@127.0.0.1:5672',
    exchange: 'litestripe',
    queue: 'events-consumer',
    natsServers: '127.0.0.1:4222',
    stream: 'LITESTRIPE',
    streamSubjects: ['litestripe.>'],
    durable: 'events-consumer',
    prefetch: 10,
    retryDelayMs: 1000,
    handlerDelayMs: 0,
    logger: ['fatal', 'error', 'warn', 'log'],
    ...withoutUndefined(options),
    databaseUrl: options.databaseUrl,
  };
  if (!resolved.databaseUrl) throw new Error('events-consumer: databaseUrl (DATABASE_URL) is required: the PostgreSQL database that records processed messages.');
  const unknown = resolved.transports.filter((transport) => !TRANSPORTS.includes(transport));
  if (resolved.transports.length === 0 || unknown.length > 0) {
    throw new Error(`events-consumer: transports (CONSUMER_TRANSPORTS) must name one or both of ${TRANSPORTS.join(', ')}; got ${resolved.transports.join(',') || 'none'}.`);
  }
  for (const name of ['prefetch', 'retryDelayMs', 'handlerDelayMs'] as const) {
    const value = resolved[name];
    const least = name === 'prefetch' ? 1 : 0;
    if (!Number.isInteger(value) || value < least) throw new Error(`events-consumer: ${name} must be an integer of at least ${least}; got ${value}.`);
  }
  return resolved;
}

function withoutUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
