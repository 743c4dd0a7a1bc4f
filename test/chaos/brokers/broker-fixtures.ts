import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect as amqpConnect } from 'amqplib';
import { EventsConsumer, startEventsConsumer } from '../../../apps/events-consumer/src/start-events-consumer';
import { createChaosDatabase, dropChaosDatabase } from '../support/database';
import { withClient } from '../../support/postgres-databases';
import { sleep } from '../support/sender';

export const RABBITMQ = { host: '127.0.0.1', port: 5672 };
export const NATS = { host: '127.0.0.1', port: 4222 };
const STREAM_PREFIX = 'CHAOS_';

/**
 * One scenario's broker names: its own exchange, queue, stream and durable consumer. The stream
 * captures `litestripe.>` (the event names), which no two streams of a server may share: a
 * scenario deletes the chaos streams a killed run may have left before it starts.
 */
export interface BrokerNames {
  exchange: string;
  queue: string;
  stream: string;
  durable: string;
}

export function brokerNames(scenario: string): BrokerNames {
  const run = `${process.env.LITESTRIPE_CHAOS_RUN ?? process.pid}_${scenario}`.replace(/[^A-Za-z0-9_]/g, '_');
  return { exchange: `chaos_${run}`, queue: `chaos_${run}_consumer`, stream: `${STREAM_PREFIX}${run}`.toUpperCase(), durable: `chaos_${run}_consumer` };
}

/** The hosts' environment for both brokers (through proxies, when given). */
export function brokerEnv(names: BrokerNames, rabbitPort = RABBITMQ.port, natsPort = NATS.port, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CHAOS_RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${rabbitPort}`,
    CHAOS_RABBITMQ_EXCHANGE: names.exchange,
    CHAOS_RABBITMQ_QUEUE: names.queue,
    CHAOS_NATS_SERVERS: `127.0.0.1:${natsPort}`,
    CHAOS_NATS_STREAM: names.stream,
    ...extra,
  };
}

/** The consumer example (apps/events-consumer), once per broker, each on a database of its own: what one broker delivered, deduplicated by id. */
export interface Consumers {
  rmq: EventsConsumer;
  jetstream: EventsConsumer;
  close(): Promise<void>;
}

export async function startConsumers(scenario: string, names: BrokerNames, handlerDelayMs = 0): Promise<Consumers> {
  await deleteLeftoverStreams();
  const databases = await Promise.all(['rmq', 'js'].map((transport) => createChaosDatabase(`${scenario}_${transport}_consumer`)));
  const common = { handlerDelayMs, logger: ['fatal', 'error'] as ('fatal' | 'error')[], retryDelayMs: 200 };
  const rmq = await startEventsConsumer({ ...common, databaseUrl: databases[0].url, transports: ['rmq'], rabbitmqUrl: `amqp://guest:guest@${RABBITMQ.host}:${RABBITMQ.port}`, exchange: names.exchange, queue: names.queue });
  const jetstream = await startEventsConsumer({
    ...common,
    databaseUrl: databases[1].url,
    transports: ['jetstream'],
    natsServers: `${NATS.host}:${NATS.port}`,
    stream: names.stream,
    streamSubjects: ['litestripe.>'],
    durable: names.durable,
  });
  return {
    rmq,
    jetstream,
    async close() {
      await Promise.allSettled([rmq.close(), jetstream.close()]);
      await Promise.all(databases.map((database) => dropChaosDatabase(database.name)));
      await deleteBrokerObjects(names);
    },
  };
}

/** Waits until no publication to a broker is left undelivered; returns how many are (0 unless it gave up). */
export async function waitForPublished(url: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  return withClient(url, async (c) => {
    for (;;) {
      const { rows } = await c.query('SELECT count(*)::int AS n FROM litestripe_outbox_publication WHERE delivered_at IS NULL');
      if (rows[0].n === 0 || Date.now() > deadline) return rows[0].n as number;
      await sleep(250);
    }
  });
}

/** Per broker: publications delivered, still open, kept as failed, and the most attempts one took. */
export async function publicationCounts(url: string): Promise<Record<string, { delivered: number; open: number; failed: number; maxAttempts: number }>> {
  return withClient(url, async (c) => {
    const { rows } = await c.query(
      `SELECT destination, count(*) FILTER (WHERE delivered_at IS NOT NULL)::int AS delivered, count(*) FILTER (WHERE delivered_at IS NULL AND failed_at IS NULL)::int AS open,
              count(*) FILTER (WHERE failed_at IS NOT NULL)::int AS failed, max(attempts)::int AS "maxAttempts"
       FROM litestripe_outbox_publication GROUP BY destination`,
    );
    return Object.fromEntries(rows.map(({ destination, ...counts }) => [destination, counts]));
  });
}

export async function outboxIds(url: string): Promise<string[]> {
  return withClient(url, async (c) => (await c.query('SELECT id FROM litestripe_outbox ORDER BY id')).rows.map((row) => row.id as string));
}

/** Waits until the consumer has processed `count` distinct messages; returns its ids. */
export async function waitForConsumed(consumer: EventsConsumer, count: number, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ids = (await consumer.processed()).map((message) => message.id);
    if (ids.length >= count || Date.now() > deadline) return ids.sort();
    await sleep(250);
  }
}

/**
 * What the JetStream stream keeps, read back in stream order: the messages (the stream dropped
 * republished ids within its duplicate window) and, per subscription, sequences that went backwards.
 */
export async function readStream(names: BrokerNames): Promise<{ messages: number; ids: string[]; outOfOrder: number }> {
  const nc = await connect({ servers: `${NATS.host}:${NATS.port}` });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(names.stream);
    const last = new Map<string, bigint>();
    const ids: string[] = [];
    let outOfOrder = 0;
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const stored = await jsm.streams.getMessage(names.stream, { seq });
      if (!stored) continue;
      const { data } = stored.json<{ data: { id: string; subscriptionId: string | null; sequence: string } }>();
      ids.push(data.id);
      if (!data.subscriptionId) continue;
      const sequence = BigInt(data.sequence);
      if ((last.get(data.subscriptionId) ?? -1n) > sequence) outOfOrder++;
      last.set(data.subscriptionId, sequence);
    }
    return { messages: info.state.messages, ids, outOfOrder };
  } finally {
    await nc.close();
  }
}

/** Chaos streams of an earlier run that did not get to delete them (killed): they would hold `litestripe.>`. */
async function deleteLeftoverStreams(): Promise<void> {
  const nc = await connect({ servers: `${NATS.host}:${NATS.port}` });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const stream of jsm.streams.list()) {
      if (stream.config.name.startsWith(STREAM_PREFIX)) await jsm.streams.delete(stream.config.name);
    }
  } finally {
    await nc.close();
  }
}

/** Deletes the scenario's exchange, queue, stream (and its durable consumer with it). */
async function deleteBrokerObjects(names: BrokerNames): Promise<void> {
  const amqp = await amqpConnect(`amqp://guest:guest@${RABBITMQ.host}:${RABBITMQ.port}`);
  try {
    const channel = await amqp.createChannel();
    await channel.deleteQueue(names.queue);
    await channel.deleteExchange(names.exchange);
  } finally {
    await amqp.close();
  }
  const nc = await connect({ servers: `${NATS.host}:${NATS.port}` });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(names.stream).catch(() => false);
  } finally {
    await nc.close();
  }
}
