import { DomainEventOutboxEntry, LitestripeEvents, OutboxPublication, OutboxService, RetentionJob } from '@litestripe/nestjs';
import { RecordingBroker } from './support/recording-broker';
import { SubscriptionScenario, T0 } from './support/scenario';
import { createTestApp, TestApp } from './support/test-app';
import { truncateTables } from './support/test-database';

const outbox = { pollIntervalMs: 0, retryBackoffMs: 1, maxAttempts: 3, leaseMs: 60_000 };
const activation = (account: string) => new SubscriptionScenario().subscription('created', { status: 'active', metadata: { client_reference_id: account } }, T0);
const created = (eventId: string) => `${eventId}:${LitestripeEvents.SubscriptionCreated}`;
const activated = (eventId: string) => `${eventId}:${LitestripeEvents.SubscriptionActivated}`;

describe('publishing the outbox to brokers', () => {
  let t: TestApp;
  let mq: RecordingBroker;
  let js: RecordingBroker;
  const service = () => t.app.get(OutboxService);
  const publications = (destination: string) => t.dataSource.getRepository(OutboxPublication).find({ where: { destination }, order: { sequence: 'ASC' } });
  /**
   * After an outage: the lane leaves an unreachable broker alone for retryBackoffMs (1 ms here), doubled
   * after each failed try while it was down, and ignores dispatchDue meanwhile; the first pass after that
   * publishes, in the background when the lane's own retry runs it: wait for its delivered marks too.
   */
  const dispatchUntilPublished = async (broker: RecordingBroker, count: number) => {
    const done = async () => broker.ids().length >= count && (await service().status(broker.name)).depth === 0;
    for (let waited = 0; !(await done()) && waited < 5000; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      await service().dispatchDue();
    }
  };

  beforeAll(async () => {
    mq = new RecordingBroker('rabbitmq');
    js = new RecordingBroker('nats');
    t = await createTestApp({ options: { outbox, brokers: [mq, js], webhookProcessing: 'inline' } });
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await truncateTables(t.dataSource);
    for (const broker of [mq, js]) {
      broker.reachable = true;
      broker.confirmDelayMs = 0;
      broker.rejecting.clear();
      broker.confirmed.length = 0;
      broker.attempts.length = 0;
    }
    t.recorder.clear();
  });

  it('publishes every domain event to each broker, in the order recorded, in a versioned envelope, beside the in-process bus', async () => {
    const event = activation('acct_brokers');
    expect((await t.deliver(event)).status).toBe(200);
    await service().dispatchDue();
    for (const broker of [mq, js]) expect(broker.ids()).toEqual([created(event.id), activated(event.id)]);
    expect(t.recorder.events.map((e) => e.payload.id).sort()).toEqual([activated(event.id), created(event.id)]);

    const [first, second] = mq.confirmed;
    expect(first).toMatchObject({
      version: 1,
      id: created(event.id),
      name: LitestripeEvents.SubscriptionCreated,
      stripeEventId: event.id,
      stripeCreated: event.created,
      subscriptionId: scenarioSubscription(event),
      data: { id: created(event.id), subscription: { id: scenarioSubscription(event), accountRef: 'acct_brokers' } },
    });
    expect(BigInt(second.sequence)).toBeGreaterThan(BigInt(first.sequence));
    expect(new Date(first.recordedAt).toISOString()).toBe(first.recordedAt);
    expect(js.confirmed.map((m) => m.sequence)).toEqual(mq.confirmed.map((m) => m.sequence));
    expect((await publications('rabbitmq')).every((p) => p.deliveredAt !== null && p.attempts === 1)).toBe(true);
    expect(await service().statuses()).toEqual([
      { destination: 'in-process', depth: 0, lagMs: 0, failed: 0 },
      { destination: 'rabbitmq', depth: 0, lagMs: 0, failed: 0 },
      { destination: 'nats', depth: 0, lagMs: 0, failed: 0 },
    ]);
  });

  it('keeps the entries of an unreachable broker waiting without counting attempts, and publishes them in order once it is back', async () => {
    mq.reachable = false;
    const events = [activation('acct_outage_1'), activation('acct_outage_2')];
    for (const event of events) expect((await t.deliver(event)).status).toBe(200);
    await service().dispatchDue();
    const expected = events.flatMap((event) => [created(event.id), activated(event.id)]);
    // The other broker and the in-process bus did not wait.
    expect(js.ids()).toEqual(expected);
    expect(t.recorder.events).toHaveLength(4);
    expect(mq.ids()).toEqual([]);
    const waiting = await publications('rabbitmq');
    expect(waiting.filter((p) => p.deliveredAt === null)).toHaveLength(4);
    expect(waiting.every((p) => p.attempts === 0 && p.failedAt === null && p.leasedUntil === null)).toBe(true);
    expect(await service().status('rabbitmq')).toMatchObject({ depth: 4, failed: 0 });

    mq.reachable = true;
    await dispatchUntilPublished(mq, expected.length);
    expect(mq.ids()).toEqual(expected);
    expect(await service().status('rabbitmq')).toMatchObject({ depth: 0, failed: 0 });
  });

  it('retries a message the broker rejected while the later ones go on, keeps it as failed after the last attempt, and sends it again on request', async () => {
    const first = activation('acct_nack_1');
    const second = activation('acct_nack_2');
    mq.rejecting.add(activated(first.id));
    expect((await t.deliver(first)).status).toBe(200);
    expect((await t.deliver(second)).status).toBe(200);
    await service().dispatchDue();
    // The later events were not held back by the rejected one.
    expect(mq.ids()).toEqual([created(first.id), created(second.id), activated(second.id)]);
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await service().dispatchDue();
    }
    const failed = await service().listFailed(10, 'rabbitmq');
    expect(failed.map((entry) => [entry.id, entry.attempts, entry.lastError])).toEqual([[activated(first.id), 3, `Error: nack of ${activated(first.id)}`]]);
    expect(await service().listFailed(10, 'nats')).toEqual([]);
    expect(await service().status('rabbitmq')).toMatchObject({ depth: 0, failed: 1 });
    expect(js.ids()).toContain(activated(first.id));

    mq.rejecting.clear();
    expect(await service().retryFailed(undefined, 'rabbitmq')).toBe(1);
    expect(mq.ids()).toEqual([created(first.id), created(second.id), activated(second.id), activated(first.id)]);
    expect(await service().status('rabbitmq')).toMatchObject({ depth: 0, failed: 0 });
  });

  it('counts an attempt of each message rejected in one pass, each with its own error', async () => {
    // Recorded while the broker is down, so that its first pass once it is back takes all four.
    mq.reachable = false;
    const events = [activation('acct_nack_a'), activation('acct_nack_b')];
    for (const event of events) expect((await t.deliver(event)).status).toBe(200);
    for (const event of events) mq.rejecting.add(activated(event.id));
    mq.reachable = true;
    // The lane's own retry after the outage runs that pass; nothing runs another (no polling here).
    for (let waited = 0; (await publications('rabbitmq')).some((p) => p.attempts === 0) && waited < 5000; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(mq.ids()).toEqual(events.map((event) => created(event.id)));
    const rows = await publications('rabbitmq');
    expect(rows.map((p) => [p.outboxId, p.attempts, p.lastError, p.deliveredAt === null, p.leasedUntil])).toEqual(
      events.flatMap((event) => [
        [created(event.id), 1, null, false, null],
        [activated(event.id), 1, `Error: nack of ${activated(event.id)}`, true, null],
      ]),
    );
  });

  it('does not hold the in-process bus or the other broker back while one broker is slow to confirm', async () => {
    js.confirmDelayMs = 400;
    const event = activation('acct_slow');
    expect((await t.deliver(event)).status).toBe(200);
    const started = Date.now();
    const fast = service().dispatchDue();
    // The in-process bus and RabbitMQ are done while JetStream still waits for its confirmation.
    while (mq.ids().length < 2 && Date.now() - started < 5000) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(mq.ids()).toEqual([created(event.id), activated(event.id)]);
    expect(t.recorder.events).toHaveLength(2);
    expect((await publications('nats')).filter((p) => p.deliveredAt !== null)).toHaveLength(0);
    await fast;
    expect((await publications('nats')).filter((p) => p.deliveredAt !== null)).toHaveLength(2);
  });

  it('answers an unknown destination with an error naming the known ones', async () => {
    await expect(service().status('kafka')).rejects.toThrow('"kafka" is not a destination of the outbox');
    await expect(service().listFailed(10, 'kafka')).rejects.toThrow('Known: in-process, rabbitmq, nats.');
    await expect(service().retryFailed(undefined, 'kafka')).rejects.toThrow('is not a destination');
  });

  it('keeps an entry past retention until every broker has it', async () => {
    mq.reachable = false;
    const event = activation('acct_retention');
    expect((await t.deliver(event)).status).toBe(200);
    await service().dispatchDue();
    t.clock.advance(8 * 24 * 3600);
    await t.app.get(RetentionJob).sweep();
    try {
      const left = await t.dataSource.getRepository(DomainEventOutboxEntry).find();
      expect(left.map((entry) => entry.id).sort()).toEqual([activated(event.id), created(event.id)]);
      mq.reachable = true;
      await dispatchUntilPublished(mq, 2);
      t.clock.advance(8 * 24 * 3600);
      await t.app.get(RetentionJob).sweep();
      expect(await t.dataSource.getRepository(DomainEventOutboxEntry).count()).toBe(0);
      expect(await t.dataSource.getRepository(OutboxPublication).count()).toBe(0);
    } finally {
      t.clock.reset();
    }
  });
});

describe('brokers without the in-process bus', () => {
  let t: TestApp;
  const broker = new RecordingBroker('rabbitmq');
  beforeAll(async () => {
    t = await createTestApp({ options: { outbox, brokers: [broker], inProcessEvents: false, webhookProcessing: 'inline' } });
  });
  afterAll(() => t.close());
  beforeEach(() => truncateTables(t.dataSource));

  it('publishes to the brokers only', async () => {
    const event = activation('acct_broker_only');
    expect((await t.deliver(event)).status).toBe(200);
    await t.app.get(OutboxService).dispatchDue();
    expect(broker.ids()).toEqual([created(event.id), activated(event.id)]);
    expect(t.recorder.events).toEqual([]);
    expect(await t.app.get(OutboxService).status()).toEqual({ depth: 0, lagMs: 0, failed: 0 });
  });

  it('closes the broker with the app', async () => {
    const other = new RecordingBroker('nats');
    const app = await createTestApp({ options: { outbox, brokers: [other] }, keepData: true });
    await app.close();
    expect(other.closed).toBe(true);
  });
});

describe('two instances publishing to one broker', () => {
  let a: TestApp;
  let b: TestApp;
  const confirmed: RecordingBroker['confirmed'] = [];
  beforeAll(async () => {
    a = await createTestApp({ options: { outbox, brokers: [new RecordingBroker('rabbitmq', confirmed)], webhookProcessing: 'inline' } });
    b = await createTestApp({ options: { webhookUuid: a.uuid, outbox, brokers: [new RecordingBroker('rabbitmq', confirmed)], webhookProcessing: 'inline' }, keepData: true });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('publish one subscription\'s events once each, in the order they were recorded', async () => {
    const scenario = new SubscriptionScenario();
    const statuses = ['active', 'past_due', 'active', 'past_due', 'active', 'canceled'] as const;
    const events = statuses.map((status, i) => scenario.subscription(i === 0 ? 'created' : 'updated', { status, metadata: { client_reference_id: 'acct_two' } }, T0 + i * 10));
    await Promise.all(events.map((event, i) => (i % 2 === 0 ? a : b).deliver(event)));
    await Promise.all([a.app.get(OutboxService).dispatchDue(), b.app.get(OutboxService).dispatchDue()]);
    await Promise.all([a.app.get(OutboxService).dispatchDue(), b.app.get(OutboxService).dispatchDue()]);
    const recorded = await a.dataSource.getRepository(OutboxPublication).find({ order: { sequence: 'ASC' } });
    expect(confirmed.map((m) => m.id)).toEqual(recorded.map((p) => p.outboxId));
    expect(new Set(confirmed.map((m) => m.id)).size).toBe(confirmed.length);
    const sequences = confirmed.map((m) => BigInt(m.sequence));
    expect(sequences).toEqual([...sequences].sort((x, y) => (x < y ? -1 : 1)));
  });
});

function scenarioSubscription(event: { data: { object: object } }): string {
  return (event.data.object as { id: string }).id;
}
