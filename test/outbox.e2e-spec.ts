import { EventEmitter2 } from '@nestjs/event-emitter';
import { DomainEventOutboxEntry, LitestripeEvents, OutboxService, SubscriptionChangedEvent, WebhookInboxService } from '@litestripe/nestjs';
import { SubscriptionScenario, T0 } from './support/scenario';
import { createTestApp, TestApp } from './support/test-app';

const outboxOptions = { pollIntervalMs: 0, retryBackoffMs: 1, maxAttempts: 3, leaseMs: 60_000 };

describe('durable domain events', () => {
  let t: TestApp;
  let second: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ options: { outbox: outboxOptions } });
    second = await createTestApp({ options: { webhookUuid: t.uuid, outbox: outboxOptions }, keepData: true });
  });
  afterAll(async () => {
    await second.close();
    await t.close();
  });
  beforeEach(() => {
    t.recorder.clear();
    second.recorder.clear();
  });

  /** Delivery marks are written in batches, off the webhook's path: flush them before looking. */
  const entries = async () => {
    await t.app.get(OutboxService).dispatchDue();
    return t.dataSource.getRepository(DomainEventOutboxEntry).find({ order: { id: 'ASC' } });
  };
  const waitForRetryDue = () => new Promise((resolve) => setTimeout(resolve, 20));
  const activation = (account: string) => new SubscriptionScenario().subscription('created', { status: 'active', metadata: { client_reference_id: account } }, T0);

  it('records every domain event in the outbox and marks it delivered after dispatch', async () => {
    const event = activation('acct_outbox');
    await t.deliver(event);
    // With deferred processing either instance's inbox applier may apply (and dispatch) the event: wait for both.
    await second.app.get(WebhookInboxService).drain();
    await second.app.get(OutboxService).dispatchDue();
    const rows = await entries();
    expect(rows.map((r) => r.id).sort()).toEqual([`${event.id}:${LitestripeEvents.SubscriptionActivated}`, `${event.id}:${LitestripeEvents.SubscriptionCreated}`]);
    expect(rows.every((r) => r.deliveredAt !== null && r.attempts === 1)).toBe(true);
    expect([...t.recorder.events, ...second.recorder.events].map((e) => e.payload.id).sort()).toEqual(rows.map((r) => r.id).sort());
  });

  it('retries a failing listener with the same payload id, without holding up the other events', async () => {
    const emitter = t.app.get(EventEmitter2);
    const seenIds: string[] = [];
    let failures = 1;
    const flaky = async (payload: SubscriptionChangedEvent) => {
      seenIds.push(payload.id);
      if (failures-- > 0) throw new Error('mail server down');
    };
    emitter.on(LitestripeEvents.SubscriptionActivated, flaky);
    try {
      const event = activation('acct_flaky');
      expect((await t.deliver(event)).status).toBe(200);
      const activatedId = `${event.id}:${LitestripeEvents.SubscriptionActivated}`;
      // Read without dispatching: the failed attempt is on record before any retry.
      const failed = await t.dataSource.getRepository(DomainEventOutboxEntry).findOneByOrFail({ id: activatedId });
      expect(failed).toMatchObject({ deliveredAt: null, attempts: 1, lastError: 'Error: mail server down' });

      await waitForRetryDue();
      const rows = await entries();
      expect(rows.find((r) => r.id === `${event.id}:${LitestripeEvents.SubscriptionCreated}`)).toMatchObject({ attempts: 1, lastError: null });
      expect(rows.find((r) => r.id === activatedId)).toMatchObject({ attempts: 2, lastError: null });
      expect(rows.find((r) => r.id === activatedId)?.deliveredAt).not.toBeNull();
      expect(seenIds).toEqual([activatedId, activatedId]);
      const redelivered = t.recorder.events.filter((e) => e.payload.id === activatedId).map((e) => e.payload);
      expect(redelivered).toHaveLength(2);
      expect(redelivered[1]).toBeInstanceOf(SubscriptionChangedEvent);
      expect(redelivered[1].subscription.currentPeriodEnd).toEqual(redelivered[0].subscription.currentPeriodEnd);
      expect(redelivered[1].subscription.currentPeriodEnd).toBeInstanceOf(Date);
    } finally {
      emitter.off(LitestripeEvents.SubscriptionActivated, flaky);
    }
  });

  it('keeps an entry as failed after the last attempt, lists it for operators, and sends it again on request', async () => {
    const emitter = t.app.get(EventEmitter2);
    let broken = true;
    const listener = async () => {
      if (broken) throw new Error('always broken');
    };
    emitter.on(LitestripeEvents.SubscriptionActivated, listener);
    try {
      const event = activation('acct_broken');
      await t.deliver(event);
      const service = t.app.get(OutboxService);
      for (let attempt = 2; attempt <= outboxOptions.maxAttempts; attempt++) {
        await waitForRetryDue();
        await service.dispatchDue();
      }
      const failed = await service.listFailed();
      expect(failed.map((f) => f.id)).toEqual([`${event.id}:${LitestripeEvents.SubscriptionActivated}`]);
      expect(failed[0]).toMatchObject({ attempts: outboxOptions.maxAttempts, lastError: 'Error: always broken', deliveredAt: null });
      await waitForRetryDue();
      await service.dispatchDue();
      expect(await service.listFailed()).toHaveLength(1);

      broken = false;
      expect(await service.retryFailed()).toBe(1);
      expect(await service.listFailed()).toEqual([]);
      expect((await entries()).every((r) => r.deliveredAt !== null)).toBe(true);
    } finally {
      emitter.off(LitestripeEvents.SubscriptionActivated, listener);
    }
  });

  it('dispatches what a crashed instance committed but never emitted, once, whichever instances poll', async () => {
    const events = Array.from({ length: 30 }, (_, i) => activation(`acct_crash_${i}`));
    for (const event of events) await t.deliver(event);
    await t.app.get(OutboxService).dispatchDue(); // let this instance's own delivery marks land first
    // What a crash between commit and dispatch leaves behind: entries never marked delivered, lease run out.
    await t.dataSource.query(`UPDATE litestripe_outbox SET delivered_at = NULL, attempts = 0, available_at = now() - interval '1 second' WHERE stripe_event_id = ANY($1)`, [
      events.map((e) => e.id),
    ]);
    t.recorder.clear();

    await Promise.all([t.app.get(OutboxService).dispatchDue(), second.app.get(OutboxService).dispatchDue(), second.app.get(OutboxService).dispatchDue()]);
    const ids = [...t.recorder.events, ...second.recorder.events].map((e) => e.payload.id);
    expect(ids).toHaveLength(60);
    expect(new Set(ids).size).toBe(60);
    const rows = (await entries()).filter((r) => events.some((e) => e.id === r.stripeEventId));
    expect(rows.every((r) => r.deliveredAt !== null && r.attempts === 1)).toBe(true);
  });
});

describe('in-process domain events', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ options: { domainEvents: 'in-process' } });
  });
  afterAll(() => t.close());

  it('emits after commit without touching the outbox', async () => {
    const event = new SubscriptionScenario().subscription('created', { status: 'active', metadata: { client_reference_id: 'acct_direct' } }, T0);
    await t.deliver(event);
    expect(t.recorder.names()).toEqual([LitestripeEvents.SubscriptionCreated, LitestripeEvents.SubscriptionActivated]);
    expect(t.recorder.events[0].payload.id).toBe(`${event.id}:${LitestripeEvents.SubscriptionCreated}`);
    expect(await t.dataSource.getRepository(DomainEventOutboxEntry).count()).toBe(0);
  });
});

describe('outbox status', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ options: { outbox: outboxOptions } });
  });
  afterAll(() => t.close());

  /** Writes an entry as a crash, a lease or an exhausted retry leaves it (`available_at`, `delivered_at`, `failed_at` are SQL expressions). */
  const insertEntry = (id: string, times: { availableAt: string; deliveredAt?: string; failedAt?: string }) =>
    t.dataSource.query(
      `INSERT INTO litestripe_outbox ("id", "name", "payload", "stripe_event_id", "created_at", "available_at", "delivered_at", "failed_at")
       VALUES ($1, '${LitestripeEvents.SubscriptionActivated}', '{}', 'evt_status', now() - interval '1 hour', ${times.availableAt}, ${times.deliveredAt ?? 'NULL'}, ${times.failedAt ?? 'NULL'})`,
      [id],
    );

  it('is empty when nothing waits', async () => {
    expect(await t.app.get(OutboxService).status()).toEqual({ depth: 0, lagMs: 0, failed: 0 });
  });

  it('counts waiting and failed entries, and measures the lag from the moment the oldest waiting entry came due', async () => {
    await insertEntry('due-for-ten-minutes', { availableAt: `now() - interval '10 minutes'` });
    await insertEntry('due-for-a-minute', { availableAt: `now() - interval '1 minute'` });
    await insertEntry('leased', { availableAt: `now() + interval '1 hour'` });
    await insertEntry('delivered', { availableAt: `now() - interval '30 minutes'`, deliveredAt: 'now()' });
    await insertEntry('failed', { availableAt: `now() - interval '30 minutes'`, failedAt: 'now()' });

    const status = await t.app.get(OutboxService).status();
    expect(status).toMatchObject({ depth: 3, failed: 1 });
    expect(status.lagMs).toBeGreaterThanOrEqual(10 * 60_000);
    expect(status.lagMs).toBeLessThan(11 * 60_000);
  });

  it('adds no lag for entries that are leased or backing off', async () => {
    await t.dataSource.query('DELETE FROM litestripe_outbox');
    await insertEntry('backing-off', { availableAt: `now() + interval '8 seconds'` });
    expect(await t.app.get(OutboxService).status()).toEqual({ depth: 1, lagMs: 0, failed: 0 });
  });
});
