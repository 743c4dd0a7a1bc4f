import { jetstream, JetStreamClient, jetstreamManager, JetStreamManager } from '@nats-io/jetstream';
import { connect as natsConnect } from '@nats-io/transport-node';
import { ChannelModel, ConfirmChannel, connect as amqpConnect } from 'amqplib';
import { Client } from 'pg';
import type { ConsumerTransport } from '../apps/events-consumer/src/events-consumer.options';
import type { LitestripeBrokerMessage } from '../apps/events-consumer/src/litestripe-broker-message';
import { EventsConsumer, startEventsConsumer } from '../apps/events-consumer/src/start-events-consumer';
import { createDatabase, dropDatabase } from './support/postgres-databases';

/**
 * The consumer example (apps/events-consumer) against the real RabbitMQ, NATS JetStream and
 * PostgreSQL: raw envelopes are published as litestripe's brokers publish them, and each test
 * starts a consumer on a queue, stream and durable of its own.
 */
const SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const RABBITMQ_URL = process.env.TEST_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const NATS_SERVERS = process.env.TEST_NATS_SERVERS ?? '127.0.0.1:4222';
const RUN = `${process.pid}${Date.now().toString(36)}`;
// The prefix of test/support/test-database.ts, so global-teardown.js drops it after a crash too.
const DATABASE = `litestripe_test_${process.env.LITESTRIPE_TEST_RUN ?? process.pid}_consumer_${process.env.JEST_WORKER_ID ?? '0'}`;
const EXCHANGE = `litestripe_consumer_e2e_${RUN}`;
const WAIT_MS = 15_000;
jest.setTimeout(30_000);

let databaseUrl: string;
let db: Client;
let amqp: ChannelModel;
let channel: ConfirmChannel;
let nats: Awaited<ReturnType<typeof natsConnect>>;
let js: JetStreamClient;
let jsm: JetStreamManager;

beforeAll(async () => {
  databaseUrl = await createDatabase(SERVER_URL, DATABASE);
  db = new Client({ connectionString: databaseUrl });
  await db.connect();
  amqp = await amqpConnect(RABBITMQ_URL);
  channel = await amqp.createConfirmChannel();
  await channel.assertExchange(EXCHANGE, 'topic', { durable: true });
  nats = await natsConnect({ servers: NATS_SERVERS });
  js = jetstream(nats);
  jsm = await jetstreamManager(nats);
});

afterAll(async () => {
  await channel?.deleteExchange(EXCHANGE);
  await amqp?.close();
  await nats?.close();
  await db?.end();
  await dropDatabase(SERVER_URL, DATABASE);
});

let testNumber = 0;

/** A consumer on names of its own; stopped, and its queue and stream deleted, after the test. */
interface TestConsumer {
  consumer: EventsConsumer;
  queue: string;
  stream: string;
  /** The subjects of this test's stream start with it. */
  subjectPrefix: string;
  /** Ids are unique across the tests, which share one database. */
  id(name: string): string;
}

const started: TestConsumer[] = [];

afterEach(async () => {
  for (const { consumer, queue, stream } of started.splice(0)) {
    await consumer.close();
    await channel.deleteQueue(queue);
    await jsm.streams.delete(stream).catch(() => false); // a RabbitMQ-only consumer made none
  }
});

async function startConsumer(transports: ConsumerTransport[], options: { prefetch?: number; handlerDelayMs?: number } = {}): Promise<TestConsumer> {
  const name = `${RUN}_${++testNumber}`;
  const subjectPrefix = `consumere2e${name}`;
  const queue = `events_consumer_e2e_${name}`;
  const stream = `CONSUMER_E2E_${name}`;
  const consumer = await startEventsConsumer({
    databaseUrl,
    transports,
    rabbitmqUrl: RABBITMQ_URL,
    exchange: EXCHANGE,
    queue,
    natsServers: NATS_SERVERS,
    stream,
    streamSubjects: [`${subjectPrefix}.>`],
    durable: `events_consumer_e2e_${name}`,
    retryDelayMs: 200,
    logger: false,
    ...options,
  });
  const test = { consumer, queue, stream, subjectPrefix, id: (id: string) => `${id}_${name}` };
  started.push(test);
  return test;
}

interface EnvelopeFields {
  id: string;
  subscriptionId: string;
  stripeCreated?: number | null;
  sequence: number;
  status?: string;
  invoiceId?: string;
}

function envelope(name: string, fields: EnvelopeFields): LitestripeBrokerMessage {
  return {
    version: 1,
    id: fields.id,
    name,
    stripeEventId: `evt_${fields.id}`,
    stripeCreated: fields.stripeCreated === undefined ? 1_767_225_600 + fields.sequence : fields.stripeCreated,
    subscriptionId: fields.subscriptionId,
    sequence: String(fields.sequence),
    recordedAt: new Date().toISOString(),
    data: {
      id: fields.id,
      name,
      invoiceId: fields.invoiceId,
      subscription: { id: fields.subscriptionId, accountRef: `acct_${fields.subscriptionId}`, status: fields.status ?? 'active' },
    },
  };
}

/** As litestripe's RabbitMQ broker publishes: routing key = name, messageId = id, Nest's packet as the body. */
async function publishToRabbitMq(message: LitestripeBrokerMessage): Promise<void> {
  const body = Buffer.from(JSON.stringify({ pattern: message.name, data: message }));
  channel.publish(EXCHANGE, message.name, body, { persistent: true, messageId: message.id, contentType: 'application/json', type: message.name });
  await channel.waitForConfirms();
}

/** As litestripe's JetStream broker publishes (under this test's subject prefix); `msgID: null` for a publish the stream cannot deduplicate. */
async function publishToJetStream(test: TestConsumer, message: LitestripeBrokerMessage, msgID: string | null = message.id) {
  const body = JSON.stringify({ pattern: message.name, data: message });
  return js.publish(`${test.subjectPrefix}.${message.name}`, body, msgID ? { msgID } : {});
}

function publisherFor(transport: ConsumerTransport, test: TestConsumer): (message: LitestripeBrokerMessage) => Promise<unknown> {
  return transport === 'rmq' ? publishToRabbitMq : (message) => publishToJetStream(test, message);
}

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function waitUntilProcessed(test: TestConsumer, ids: string[]): Promise<void> {
  await waitFor(`${ids.join(', ')} to be processed`, async () => {
    const processed = new Set((await test.consumer.processed()).map((message) => message.id));
    return ids.every((id) => processed.has(id));
  });
}

async function count(table: string, column: string, value: string): Promise<number> {
  const { rows } = await db.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${column} = $1`, [value]);
  return rows[0].n;
}

async function statusOf(subscriptionId: string): Promise<{ status: string; message_id: string } | undefined> {
  const { rows } = await db.query('SELECT status, message_id FROM consumer_subscription_status WHERE subscription_id = $1', [subscriptionId]);
  return rows[0];
}

describe.each<ConsumerTransport>(['rmq', 'jetstream'])('events consumer on %s', (transport) => {
  it('applies an event delivered twice once, and acknowledges the duplicate', async () => {
    // One message at a time, so that once the last one is processed every one before it was handled.
    const test = await startConsumer([transport], { prefetch: 1 });
    const publish = publisherFor(transport, test);
    const subscription = test.id('sub_twice');
    const activated = envelope('litestripe.subscription.activated', { id: test.id('evt_a:activated'), subscriptionId: subscription, sequence: 1 });
    const failed = envelope('litestripe.payment.failed', { id: test.id('evt_b:failed'), subscriptionId: subscription, sequence: 2, status: 'past_due', invoiceId: 'in_1' });
    const last = envelope('litestripe.subscription.updated', { id: test.id('evt_c:updated'), subscriptionId: subscription, sequence: 3, status: 'past_due' });

    await publish(activated);
    await publish(failed);
    if (transport === 'jetstream') {
      // The stream itself drops a second publish of one Nats-Msg-Id within its window ...
      expect((await publishToJetStream(test, activated)).duplicate).toBe(true);
      // ... so a copy after the window is simulated by publishing without one.
      await publishToJetStream(test, activated, null);
      await publishToJetStream(test, failed, null);
    } else {
      await publish(activated);
      await publish(failed);
    }
    await publish(last);
    await waitUntilProcessed(test, [last.id]);

    const processed = (await test.consumer.processed()).filter((message) => message.id.endsWith(test.id('')));
    expect(processed.map((message) => message.name)).toEqual(['litestripe.subscription.activated', 'litestripe.payment.failed', 'litestripe.subscription.updated']);
    expect(await count('consumer_welcome_email', 'subscription_id', subscription)).toBe(1);
    expect(await count('consumer_payment_failed_email', 'subscription_id', subscription)).toBe(1);
    // The wildcard handler took the event no handler names.
    expect(await statusOf(subscription)).toEqual({ status: 'past_due', message_id: last.id });
  });

  it('delivers again the message whose handler failed, and applies it then', async () => {
    const test = await startConsumer([transport]);
    const subscription = test.id('sub_retry');
    const activated = envelope('litestripe.subscription.activated', { id: test.id('evt_r:activated'), subscriptionId: subscription, sequence: 1 });
    const blocker = new Client({ connectionString: databaseUrl });
    await blocker.connect();
    try {
      // The handler's INSERT waits on this lock, and is then canceled: its transaction fails.
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE consumer_welcome_email IN SHARE MODE');
      await publisherFor(transport, test)(activated);
      const waiting = await waitFor('the handler to wait on the lock', async () => {
        const { rows } = await db.query(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO consumer_welcome_email%'`,
        );
        return rows[0]?.pid as number | undefined;
      });
      const { rows } = await db.query('SELECT pg_cancel_backend($1) AS canceled', [waiting]);
      expect(rows[0].canceled).toBe(true);
      await blocker.query('ROLLBACK');
    } finally {
      await blocker.end();
    }

    await waitUntilProcessed(test, [activated.id]);
    expect(await count('consumer_welcome_email', 'subscription_id', subscription)).toBe(1);
    expect(await statusOf(subscription)).toEqual({ status: 'active', message_id: activated.id });
  });

  it('leaves a subscription as its newest event left it when an older event arrives later', async () => {
    const test = await startConsumer([transport]);
    const publish = publisherFor(transport, test);
    const subscription = test.id('sub_order');
    const newer = envelope('litestripe.subscription.deactivated', { id: test.id('evt_n:deactivated'), subscriptionId: subscription, stripeCreated: 1_767_300_000, sequence: 5, status: 'canceled' });
    const older = envelope('litestripe.subscription.activated', { id: test.id('evt_o:activated'), subscriptionId: subscription, stripeCreated: 1_767_200_000, sequence: 9, status: 'active' });
    // One Stripe second, two events: the outbox sequence orders them.
    const sameSecondEarlier = envelope('litestripe.subscription.updated', { id: test.id('evt_s:updated'), subscriptionId: subscription, stripeCreated: 1_767_300_000, sequence: 4, status: 'past_due' });

    await publish(newer);
    await waitUntilProcessed(test, [newer.id]);
    await publish(older);
    await publish(sameSecondEarlier);
    await waitUntilProcessed(test, [older.id, sameSecondEarlier.id]);

    expect(await statusOf(subscription)).toEqual({ status: 'canceled', message_id: newer.id });
    // The older activation is still an event of its own: its email is not a state.
    expect(await count('consumer_welcome_email', 'subscription_id', subscription)).toBe(1);
  });
});

describe('events consumer on both brokers', () => {
  it('applies an event that arrives from RabbitMQ and from JetStream once', async () => {
    // Each broker hands out one message at a time: once its last one is processed, its copy was handled.
    const test = await startConsumer(['rmq', 'jetstream'], { prefetch: 1 });
    const subscription = test.id('sub_both');
    const failed = envelope('litestripe.payment.failed', { id: test.id('evt_f:failed'), subscriptionId: subscription, sequence: 1, status: 'past_due', invoiceId: 'in_both' });
    const rmqLast = envelope('litestripe.subscription.updated', { id: test.id('evt_x:updated'), subscriptionId: test.id('sub_rmq_last'), sequence: 2 });
    const jetStreamLast = envelope('litestripe.subscription.updated', { id: test.id('evt_y:updated'), subscriptionId: test.id('sub_js_last'), sequence: 3 });

    await Promise.all([publishToRabbitMq(failed), publishToJetStream(test, failed)]);
    await publishToRabbitMq(rmqLast);
    await publishToJetStream(test, jetStreamLast);
    await waitUntilProcessed(test, [failed.id, rmqLast.id, jetStreamLast.id]);

    expect(await count('consumer_processed_message', 'id', failed.id)).toBe(1);
    expect(await count('consumer_payment_failed_email', 'subscription_id', subscription)).toBe(1);
  });
});

describe('events consumer options', () => {
  it('holds each message handlerDelayMs before handling it (a slow consumer)', async () => {
    const test = await startConsumer(['jetstream'], { handlerDelayMs: 600 });
    const activated = envelope('litestripe.subscription.activated', { id: test.id('evt_slow:activated'), subscriptionId: test.id('sub_slow'), sequence: 1 });
    const publishedAt = Date.now();
    await publishToJetStream(test, activated);
    await waitUntilProcessed(test, [activated.id]);
    expect(Date.now() - publishedAt).toBeGreaterThanOrEqual(600);
  });

  it('refuses to start without a database, naming the variable', async () => {
    await expect(startEventsConsumer({ databaseUrl: '' })).rejects.toThrow('databaseUrl (DATABASE_URL) is required');
  });

  it('refuses an unknown transport', async () => {
    await expect(startEventsConsumer({ databaseUrl, transports: ['kafka' as ConsumerTransport] })).rejects.toThrow('must name one or both of rmq, jetstream; got kafka');
  });
});
