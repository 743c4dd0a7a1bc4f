import { connect as amqpConnect, type Channel, type ChannelModel, type GetMessage } from 'amqplib';
import { connect as natsConnect } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager, StorageType } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/nats-core';
import { connect as tcpConnect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, Payload, Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { LitestripeConfigError } from '@litestripe/nestjs';
import {
  ClientProxyOutboxBroker,
  JetStreamClientProxy,
  jetStreamOutboxBroker,
  rabbitMqOutboxBroker,
  type LitestripeBrokerMessage,
  type OutboxBroker,
} from '@litestripe/nestjs/brokers';
import { LogCapture } from './support/log-capture';
import { TcpProxy } from './support/tcp-proxy';

const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
const NATS_SERVER = '127.0.0.1:4222';
/** Names no other test file (or parallel run) uses. */
const uid = `${process.pid}-${Date.now().toString(36)}`;

let sequence = 0;
function message(name: string): LitestripeBrokerMessage {
  sequence += 1;
  return {
    version: 1,
    id: `evt_${uid}_${sequence}:${name}`,
    name,
    stripeEventId: `evt_${uid}_${sequence}`,
    stripeCreated: 1_764_000_000 + sequence,
    subscriptionId: 'sub_123',
    sequence: String(sequence),
    recordedAt: '2026-12-04T10:00:00.000Z',
    data: { subscriptionId: 'sub_123', status: 'active' },
  };
}

/** Connects the broker through `proxy` and publishes a message named `name`; closes both afterwards. */
async function expectConnectsAndPublishes(broker: OutboxBroker, name: string, proxy: TcpProxy): Promise<void> {
  try {
    await broker.connect();
    await expect(broker.publish(message(name))).resolves.toBeUndefined();
  } finally {
    await broker.close();
    await proxy.stop();
  }
}

async function elapsed(work: Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = Date.now();
  const error = await work.then(
    () => null,
    (caught: unknown) => caught,
  );
  return { ms: Date.now() - started, error };
}

describe('RabbitMQ outbox broker', () => {
  let amqp: ChannelModel;
  let channel: Channel;
  const brokers: OutboxBroker[] = [];
  const exchanges: string[] = [];
  const queues: string[] = [];
  let names = 0;
  /** A fresh exchange and queue name pair, deleted after the tests. */
  const fresh = () => {
    names += 1;
    const exchange = `litestripe-test-${uid}-${names}`;
    const queue = `litestripe-test-${uid}-${names}-q`;
    exchanges.push(exchange);
    queues.push(queue, `${queue}-2`);
    return { exchange, queue };
  };
  const track = <T extends OutboxBroker>(broker: T): T => {
    brokers.push(broker);
    return broker;
  };
  const getAll = async (queue: string): Promise<GetMessage[]> => {
    const got: GetMessage[] = [];
    for (;;) {
      const next = await channel.get(queue, { noAck: true });
      if (next === false) return got;
      got.push(next);
    }
  };

  beforeAll(async () => {
    amqp = await amqpConnect(AMQP_URL);
    channel = await amqp.createChannel();
  });
  afterAll(async () => {
    await Promise.allSettled(brokers.map((broker) => broker.close()));
    for (const queue of queues) await channel.deleteQueue(queue);
    for (const exchange of exchanges) await channel.deleteExchange(exchange);
    await amqp.close();
  });

  it('publishes to the topic exchange, routed by event name, with the message id, persistent, and Nest packet body', async () => {
    const { exchange, queue } = fresh();
    const broker = track(rabbitMqOutboxBroker({ urls: [AMQP_URL], exchange, queues: [{ name: queue }, { name: `${queue}-2`, routingKey: 'litestripe.subscription.canceled' }] }));
    expect(broker.name).toBe('rabbitmq');
    expect(broker.deduplicationWindowMs).toBeUndefined();
    await broker.connect();
    const activated = message('litestripe.subscription.activated');
    await broker.publish(activated);

    const [got, ...more] = await getAll(queue);
    expect(more).toEqual([]);
    expect(got.fields).toMatchObject({ exchange, routingKey: 'litestripe.subscription.activated' });
    expect(got.properties).toMatchObject({
      messageId: activated.id,
      deliveryMode: 2,
      contentType: 'application/json',
      type: 'litestripe.subscription.activated',
      timestamp: Date.parse(activated.recordedAt) / 1000,
      headers: { 'x-litestripe-version': '1' },
    });
    expect(JSON.parse(got.content.toString())).toEqual({ pattern: 'litestripe.subscription.activated', data: activated });
    // The second queue is bound to another event name only.
    expect(await getAll(`${queue}-2`)).toEqual([]);
  });

  it('keeps a message published before any consumer existed in the queue it binds, after the broker closed', async () => {
    const { exchange, queue } = fresh();
    const first = track(rabbitMqOutboxBroker({ urls: [AMQP_URL], exchange, queues: [{ name: queue }] }));
    await first.connect();
    const early = message('litestripe.subscription.created');
    await first.publish(early);
    await first.close();

    const queueState = await channel.checkQueue(queue);
    expect(queueState.messageCount).toBe(1);
    const [got] = await getAll(queue);
    expect(got.properties.messageId).toBe(early.id);
  });

  it('has its confirmed messages dropped by a topic exchange no queue is bound to (why `queues` exists)', async () => {
    const { exchange, queue } = fresh();
    const broker = track(rabbitMqOutboxBroker({ urls: [AMQP_URL], exchange }));
    await broker.connect();
    await expect(broker.publish(message('litestripe.subscription.activated'))).resolves.toBeUndefined();
    await channel.assertQueue(queue, { durable: true });
    await channel.bindQueue(queue, exchange, 'litestripe.#');
    expect((await channel.checkQueue(queue)).messageCount).toBe(0);
  });

  it('keeps the call order of pipelined publishes', async () => {
    const { exchange, queue } = fresh();
    const broker = track(rabbitMqOutboxBroker({ urls: [AMQP_URL], exchange, queues: [{ name: queue }] }));
    await broker.connect();
    const sent = Array.from({ length: 300 }, (_, i) => message(i % 2 ? 'litestripe.subscription.updated' : 'litestripe.subscription.activated'));
    await Promise.all(sent.map((m) => broker.publish(m)));
    const got = await getAll(queue);
    expect(got.map((m) => m.properties.messageId)).toEqual(sent.map((m) => m.id));
  });

  it('rejects connect to a closed port within the timeout', async () => {
    const broker = track(rabbitMqOutboxBroker({ name: 'refused', urls: ['amqp://guest:guest@127.0.0.1:1'], exchange: fresh().exchange, connectTimeoutMs: 2000 }));
    const { ms, error } = await elapsed(broker.connect());
    expect(ms).toBeLessThan(2500);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^Broker "refused" could not connect: .*ECONNREFUSED/);
    // The URL's password stays out of the error.
    expect((error as Error).message).not.toContain('guest:guest');
  });

  it('rejects connect within the timeout when the server accepts but never answers, and connects once it answers', async () => {
    // A listener that accepts connections and says nothing, as a hung broker does.
    const held: Socket[] = [];
    const silent = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    const { exchange } = fresh();
    const broker = track(rabbitMqOutboxBroker({ urls: [`amqp://guest:guest@127.0.0.1:${port}`], exchange, connectTimeoutMs: 800 }));
    const { ms, error } = await elapsed(broker.connect());
    // amqplib's handshake timeout, which the broker sets within connectTimeoutMs, fails the attempt.
    expect(ms).toBeGreaterThanOrEqual(600);
    expect(ms).toBeLessThan(800);
    expect((error as Error).message).toBe('Broker "rabbitmq" could not connect: connect ETIMEDOUT');

    // The same port now forwards to RabbitMQ.
    held.forEach((socket) => socket.destroy());
    await new Promise((resolve) => silent.close(resolve));
    const proxy = new TcpProxy('127.0.0.1', 5672);
    await proxy.start(port);
    await expectConnectsAndPublishes(broker, 'litestripe.subscription.activated', proxy);
  });

  it('fails publishes while the broker is down, and connects and publishes again once it is back', async () => {
    const proxy = new TcpProxy('127.0.0.1', 5672);
    await proxy.start();
    const { exchange, queue } = fresh();
    const broker = track(
      rabbitMqOutboxBroker({
        urls: [`amqp://guest:guest@127.0.0.1:${proxy.port}`],
        exchange,
        queues: [{ name: queue }],
        publishTimeoutMs: 1000,
        connectTimeoutMs: 1000,
        socketOptions: { heartbeatIntervalInSeconds: 1, reconnectTimeInSeconds: 0.2 },
      }),
    );
    try {
      await broker.connect();
      const before = message('litestripe.subscription.created');
      await broker.publish(before);

      await proxy.stop();
      const during = message('litestripe.subscription.activated');
      const { ms, error } = await elapsed(broker.publish(during));
      expect(ms).toBeLessThan(1500);
      expect((error as Error).message).toMatch(new RegExp(`^Broker "rabbitmq" did not confirm message ${during.id}`));
      await expect(broker.connect()).rejects.toThrow(/^Broker "rabbitmq" (could not connect|did not connect)/);

      await proxy.start();
      await waitFor(() => broker.connect());
      const after = message('litestripe.subscription.updated');
      await broker.publish(after);
      const got = await getAll(queue);
      // The failed message is not sent behind the outbox's back: it is retried by the outbox.
      expect(got.map((m) => m.properties.messageId)).toEqual([before.id, after.id]);
    } finally {
      await broker.close();
      await proxy.stop();
    }
  });

  it('bounds a publish the broker never confirms (a network partition), which may still arrive later: at least once', async () => {
    const proxy = new FreezableProxy();
    await proxy.start(5672);
    const { exchange, queue } = fresh();
    const broker = track(
      rabbitMqOutboxBroker({
        urls: [`amqp://guest:guest@127.0.0.1:${proxy.port}`],
        exchange,
        queues: [{ name: queue }],
        publishTimeoutMs: 800,
        socketOptions: { heartbeatIntervalInSeconds: 60 },
      }),
    );
    try {
      await broker.connect();
      proxy.freeze();
      const unconfirmed = message('litestripe.subscription.activated');
      const { ms, error } = await elapsed(broker.publish(unconfirmed));
      expect(ms).toBeGreaterThanOrEqual(750);
      expect(ms).toBeLessThan(1500);
      expect((error as Error).message).toBe(`Broker "rabbitmq" did not confirm message ${unconfirmed.id} within 800 ms.`);

      proxy.thaw();
      const next = message('litestripe.subscription.updated');
      await broker.publish(next);
      // The held bytes reached the broker after all: the outbox's retry will be a duplicate, by id.
      expect((await getAll(queue)).map((m) => m.properties.messageId)).toEqual([unconfirmed.id, next.id]);
    } finally {
      await broker.close();
      await proxy.stop();
    }
  });

  it('rejects connect with the broker\'s reason when the exchange exists with another type', async () => {
    const { exchange } = fresh();
    await channel.assertExchange(exchange, 'direct', { durable: true });
    const broker = track(rabbitMqOutboxBroker({ urls: [AMQP_URL], exchange, connectTimeoutMs: 3000 }));
    const { ms, error } = await elapsed(broker.connect());
    expect(ms).toBeLessThan(2500);
    expect((error as Error).message).toMatch(/^Broker "rabbitmq" could not connect: .*PRECONDITION_FAILED - inequivalent arg 'type'/);
  });

  it('validates its options when called', () => {
    const config = (build: () => unknown) => {
      try {
        build();
      } catch (error) {
        expect(error).toBeInstanceOf(LitestripeConfigError);
        return (error as Error).message;
      }
      throw new Error('no error');
    };
    const call = (options: unknown) => config(() => rabbitMqOutboxBroker(options as never));
    expect(call({})).toBe(`Litestripe option "rabbitMqOutboxBroker.urls" is required. Give the broker's URLs, e.g. urls: ['amqp://user:password@rabbitmq:5672'].`);
    expect(call({ urls: ['http://user:secret@host'] })).toBe('Litestripe option "rabbitMqOutboxBroker.urls[0]" is not an amqp:// or amqps:// URL. Write it as amqp://user:password@host:5672/vhost.');
    expect(call({ urls: [AMQP_URL], name: 'Rabbit MQ' })).toMatch(/^Litestripe option "rabbitMqOutboxBroker.name" must be 1-40 of a-z/);
    expect(call({ urls: [AMQP_URL], exchange: 'amq.topic' })).toMatch(/^Litestripe option "rabbitMqOutboxBroker.exchange" must be an exchange name .*not starting with 'amq.'/);
    expect(call({ urls: [AMQP_URL], queues: [{ routingKey: '#' }] })).toMatch(/^Litestripe option "rabbitMqOutboxBroker.queues\[0\].name" must be a queue name/);
    expect(call({ urls: [AMQP_URL], queues: [{ name: 'q', durable: true }] })).toBe('Litestripe option "rabbitMqOutboxBroker.queues[0].durable" is not an option. Known: name, routingKey.');
    expect(call({ urls: [AMQP_URL], publishTimeoutMs: 0 })).toMatch(/^Litestripe option "rabbitMqOutboxBroker.publishTimeoutMs" must be a whole number of milliseconds/);
    expect(call({ urls: [AMQP_URL], exchangeType: 'fanout' })).toMatch(/^Litestripe option "rabbitMqOutboxBroker.exchangeType" is not an option. Known: name, urls,/);
    expect(config(() => new ClientProxyOutboxBroker({ name: 'kafka', client: {} as never }))).toMatch(/^Litestripe option "ClientProxyOutboxBroker.client" must be a Nest ClientProxy/);
    expect(config(() => new ClientProxyOutboxBroker({ client: {} as never } as never))).toMatch(/^Litestripe option "ClientProxyOutboxBroker.name" must be 1-40 of a-z, 0-9, '-' and '_', starting with a letter or digit \(got nothing\)/);
  });
});

describe('NATS JetStream outbox broker', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const brokers: OutboxBroker[] = [];
  const streams: string[] = [];
  let names = 0;
  /** A fresh stream name and subject prefix, the stream deleted after the tests. */
  const fresh = () => {
    names += 1;
    const stream = `LITESTRIPE_TEST_${uid.replace(/\W/g, '_')}_${names}`;
    streams.push(stream);
    return { stream, prefix: `lstest-${uid}-${names}` };
  };
  const track = <T extends OutboxBroker>(broker: T): T => {
    brokers.push(broker);
    return broker;
  };
  const storedMessage = async (stream: string, seq: number) => {
    const stored = await jsm.streams.getMessage(stream, { seq });
    if (stored === null) throw new Error(`${stream} has no message ${seq}`);
    return stored;
  };

  beforeAll(async () => {
    nc = await natsConnect({ servers: NATS_SERVER });
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    await Promise.allSettled(brokers.map((broker) => broker.close()));
    for (const stream of streams) await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
  });

  it('adds the stream with file storage, its subjects and the duplicate window, and reports that window', async () => {
    const { stream, prefix } = fresh();
    const broker = track(jetStreamOutboxBroker({ servers: [NATS_SERVER], stream: { name: stream, subjects: [`${prefix}.>`], duplicateWindowMs: 90_000 } }));
    expect(broker.name).toBe('nats');
    expect(broker.deduplicationWindowMs).toBe(90_000);
    await broker.connect();
    const { config } = await jsm.streams.info(stream);
    expect(config).toMatchObject({ subjects: [`${prefix}.>`], storage: StorageType.File, duplicate_window: nanos(90_000) });
  });

  it('stores a message once per id: the second publish is acknowledged as a duplicate and still resolves', async () => {
    const { stream, prefix } = fresh();
    const broker = track(jetStreamOutboxBroker({ servers: [NATS_SERVER], stream: { name: stream, subjects: [`${prefix}.>`] } }));
    await broker.connect();
    const activated = message(`${prefix}.subscription.activated`);
    await broker.publish(activated);
    await expect(broker.publish(activated)).resolves.toBeUndefined();

    expect((await jsm.streams.info(stream)).state.messages).toBe(1);
    const stored = await storedMessage(stream, 1);
    expect(stored.subject).toBe(activated.name);
    expect(stored.header.get('Nats-Msg-Id')).toBe(activated.id);
    expect(stored.header.get('Litestripe-Version')).toBe('1');
    expect(stored.json()).toEqual({ pattern: activated.name, data: activated });
  });

  it('keeps the call order of pipelined publishes', async () => {
    const { stream, prefix } = fresh();
    const broker = track(jetStreamOutboxBroker({ servers: [NATS_SERVER], stream: { name: stream, subjects: [`${prefix}.>`] } }));
    await broker.connect();
    const sent = Array.from({ length: 300 }, (_, i) => message(`${prefix}.subscription.${i % 2 ? 'updated' : 'activated'}`));
    await Promise.all(sent.map((m) => broker.publish(m)));
    const stored: string[] = [];
    for (let seq = 1; seq <= sent.length; seq++) stored.push((await storedMessage(stream, seq)).header.get('Nats-Msg-Id'));
    expect(stored).toEqual(sent.map((m) => m.id));
  });

  it('rejects a publish to a subject no stream captures instead of resolving', async () => {
    const { stream, prefix } = fresh();
    const broker = track(jetStreamOutboxBroker({ servers: [NATS_SERVER], stream: { name: stream, subjects: [`${prefix}.>`] }, publishTimeoutMs: 2000 }));
    await broker.connect();
    const stray = message(`uncaptured-${uid}.subscription.activated`);
    await expect(broker.publish(stray)).rejects.toThrow(
      `Broker "nats" did not confirm message ${stray.id}: No JetStream stream captures subject "${stray.name}" (no responders): the stream's subjects must cover every event name.`,
    );
  });

  it('rejects connect to an unreachable server within the timeout', async () => {
    const broker = track(jetStreamOutboxBroker({ name: 'nats-down', servers: ['127.0.0.1:1'], stream: { name: fresh().stream }, connectTimeoutMs: 2000 }));
    const { ms, error } = await elapsed(broker.connect());
    expect(ms).toBeLessThan(2500);
    expect((error as Error).message).toMatch(/^Broker "nats-down" could not connect: /);
  });

  it('connects again after a failure once the server is reachable', async () => {
    const proxy = new TcpProxy('127.0.0.1', 4222);
    await proxy.start();
    const port = proxy.port;
    await proxy.stop();
    const { stream, prefix } = fresh();
    const broker = track(jetStreamOutboxBroker({ servers: [`127.0.0.1:${port}`], stream: { name: stream, subjects: [`${prefix}.>`] }, connectTimeoutMs: 1000 }));
    await expect(broker.connect()).rejects.toThrow(/^Broker "nats" could not connect/);
    await proxy.start(port);
    await expectConnectsAndPublishes(broker, `${prefix}.subscription.activated`, proxy);
  });

  it('fails a publish during an outage within the timeout; its retry after the reconnect is stored once', async () => {
    const proxy = new TcpProxy('127.0.0.1', 4222);
    await proxy.start();
    const { stream, prefix } = fresh();
    const broker = track(
      jetStreamOutboxBroker({
        servers: [`127.0.0.1:${proxy.port}`],
        stream: { name: stream, subjects: [`${prefix}.>`] },
        publishTimeoutMs: 800,
        connectionOptions: { reconnectTimeWait: 100 },
      }),
    );
    try {
      await broker.connect();
      await proxy.stop();
      const during = message(`${prefix}.subscription.activated`);
      const { ms, error } = await elapsed(broker.publish(during));
      expect(ms).toBeLessThan(1300);
      expect((error as Error).message).toMatch(new RegExp(`^Broker "nats" did not confirm message ${during.id}`));

      await proxy.start(proxy.port);
      // The outbox retries: the client may also send its buffered copy on reconnect.
      await waitFor(() => broker.publish(during));
      const after = message(`${prefix}.subscription.updated`);
      await broker.publish(after);
      const { state } = await jsm.streams.info(stream);
      expect(state.messages).toBe(2);
      expect([(await storedMessage(stream, state.first_seq)).header.get('Nats-Msg-Id'), (await storedMessage(stream, state.last_seq)).header.get('Nats-Msg-Id')]).toEqual([during.id, after.id]);
    } finally {
      await broker.close();
      await proxy.stop();
    }
  });

  it('leaves an existing stream as it is, warns when its duplicate window is shorter, and reports that window', async () => {
    const { stream, prefix } = fresh();
    await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`], storage: StorageType.Memory, duplicate_window: nanos(2_000) });
    const logs = new LogCapture().install();
    try {
      const broker = track(jetStreamOutboxBroker({ servers: [NATS_SERVER], stream: { name: stream, subjects: [`${prefix}.>`] } }));
      await broker.connect();
      expect(broker.deduplicationWindowMs).toBe(2_000);
      expect(logs.messages('warn')).toContainEqual(expect.stringContaining(`JetStream stream "${stream}" drops a repeated message id for 2000 ms only, less than the 300000 ms asked`));
    } finally {
      logs.uninstall();
    }
    expect((await jsm.streams.info(stream)).config).toMatchObject({ storage: StorageType.Memory, duplicate_window: nanos(2_000) });
  });

  it('fails connect when the stream is missing and may not be created', async () => {
    const { stream } = fresh();
    const broker = track(jetStreamOutboxBroker({ servers: [NATS_SERVER], stream: { name: stream, create: false } }));
    await expect(broker.connect()).rejects.toThrow(`Broker "nats" could not connect: JetStream stream "${stream}" does not exist. Add it (subjects litestripe.>), or set stream.create to true.`);
    await expect(jsm.streams.info(stream)).rejects.toThrow('stream not found');
  });

  it('refuses request/response: JetStream acknowledges storage, it does not reply', async () => {
    const { stream, prefix } = fresh();
    const client = new JetStreamClientProxy({ servers: [NATS_SERVER], stream: { name: stream, subjects: [`${prefix}.>`] } });
    try {
      await expect(lastValueFrom(client.send(`${prefix}.question`, {}))).rejects.toThrow('JetStreamClientProxy publishes events only: use emit().');
      await expect(lastValueFrom(client.emit(`${prefix}.plain`, { hello: 'world' }))).resolves.toMatchObject({ stream, seq: 1, duplicate: false });
      expect(client.unwrap<NatsConnection>().isClosed()).toBe(false);
    } finally {
      await client.close();
    }
  });

  it('validates its options when called', () => {
    const call = (options: unknown) => {
      try {
        jetStreamOutboxBroker(options as never);
      } catch (error) {
        expect(error).toBeInstanceOf(LitestripeConfigError);
        return (error as Error).message;
      }
      throw new Error('no error');
    };
    expect(call({})).toBe(`Litestripe option "jetStreamOutboxBroker.servers" is required. Give the NATS servers, e.g. servers: ['nats://nats:4222'].`);
    expect(call({ servers: [NATS_SERVER], stream: { name: 'LITE.STRIPE' } })).toMatch(/^Litestripe option "jetStreamOutboxBroker.stream.name" must be 1-255 letters/);
    expect(call({ servers: [NATS_SERVER], stream: { duplicateWindowMs: 10 } })).toMatch(/^Litestripe option "jetStreamOutboxBroker.stream.duplicateWindowMs" must be a whole number of milliseconds from 1000/);
    expect(call({ servers: [NATS_SERVER], stream: { subjects: [] } })).toMatch(/^Litestripe option "jetStreamOutboxBroker.stream.subjects" must be a non-empty list/);
    expect(call({ servers: [NATS_SERVER], connectionOptions: { timeout: 5 } })).toBe('Litestripe option "jetStreamOutboxBroker.connectionOptions.timeout" is set by the broker. Use connectTimeoutMs instead.');
    expect(call({ servers: [NATS_SERVER], name: 'x'.repeat(41) })).toMatch(/^Litestripe option "jetStreamOutboxBroker.name" must be 1-40/);
    expect(call({ servers: [NATS_SERVER], subjects: ['a.>'] })).toMatch(/^Litestripe option "jetStreamOutboxBroker.subjects" is not an option/);
  });
});

describe('Nest microservice consumers', () => {
  const received: { transport: string; message: LitestripeBrokerMessage }[] = [];
  const natsSubject = `lstest-${uid}-nest.subscription.activated`;

  @Controller()
  class BillingEventsController {
    @EventPattern('litestripe.subscription.activated')
    onRabbitMq(@Payload() message: LitestripeBrokerMessage): void {
      received.push({ transport: 'rmq', message });
    }

    @EventPattern<string>(natsSubject)
    onNats(@Payload() message: LitestripeBrokerMessage): void {
      received.push({ transport: 'nats', message });
    }
  }
  @Module({ controllers: [BillingEventsController] })
  class ConsumerModule {}

  it("receive the message as the payload of their @EventPattern(event name)", async () => {
    const queue = `litestripe-test-${uid}-nest-q`;
    const exchange = `litestripe-test-${uid}-nest`;
    const stream = `LITESTRIPE_TEST_${uid.replace(/\W/g, '_')}_NEST`;
    const rmqConsumer = await NestFactory.createMicroservice<MicroserviceOptions>(ConsumerModule, { transport: Transport.RMQ, options: { urls: [AMQP_URL], queue, queueOptions: { durable: true } }, logger: false });
    const natsConsumer = await NestFactory.createMicroservice<MicroserviceOptions>(ConsumerModule, { transport: Transport.NATS, options: { servers: [NATS_SERVER] }, logger: false });
    const rabbitMq = rabbitMqOutboxBroker({ urls: [AMQP_URL], exchange, queues: [{ name: queue }] });
    const jetStream = jetStreamOutboxBroker({ servers: [NATS_SERVER], stream: { name: stream, subjects: [`lstest-${uid}-nest.>`] } });
    try {
      await rmqConsumer.listen();
      // Nest's NATS server subscribes on core NATS: it sees what the stream stores, live.
      await natsConsumer.listen();
      await Promise.all([rabbitMq.connect(), jetStream.connect()]);
      const viaRabbitMq = message('litestripe.subscription.activated');
      const viaNats = message(natsSubject);
      await rabbitMq.publish(viaRabbitMq);
      await jetStream.publish(viaNats);
      await waitFor(async () => {
        if (received.length < 2) throw new Error('not yet');
      });
      expect(received).toEqual(
        expect.arrayContaining([
          { transport: 'rmq', message: viaRabbitMq },
          { transport: 'nats', message: viaNats },
        ]),
      );
    } finally {
      await Promise.allSettled([rabbitMq.close(), jetStream.close()]);
      await rmqConsumer.close();
      await natsConsumer.close();
      const amqp = await amqpConnect(AMQP_URL);
      const channel = await amqp.createChannel();
      await channel.deleteQueue(queue);
      await channel.deleteExchange(exchange);
      await amqp.close();
      const nc = await natsConnect({ servers: NATS_SERVER });
      await (await jetstreamManager(nc)).streams.delete(stream);
      await nc.close();
    }
  });
});

/** Retries `attempt` until it resolves (a reconnect takes a moment), for up to 10 s. */
async function waitFor(attempt: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await attempt();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** A TCP proxy that can hold every byte both ways, as a network partition does, and let them through later. */
class FreezableProxy {
  port = 0;
  private server: Server | null = null;
  private frozen = false;
  private readonly held: (() => void)[] = [];
  private readonly sockets = new Set<Socket>();

  async start(targetPort: number): Promise<void> {
    this.server = createServer((client) => {
      const upstream = tcpConnect(targetPort, '127.0.0.1');
      const relay = (from: Socket, to: Socket) =>
        from.on('data', (chunk) => (this.frozen ? this.held.push(() => to.write(chunk)) : to.write(chunk)));
      relay(client, upstream);
      relay(upstream, client);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('error', () => socket.destroy());
        socket.on('close', () => {
          this.sockets.delete(socket);
          client.destroy();
          upstream.destroy();
        });
      }
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  freeze(): void {
    this.frozen = true;
  }

  thaw(): void {
    this.frozen = false;
    for (const release of this.held.splice(0)) release();
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = null;
  }
}
