import { Injectable } from '@nestjs/common';
import { LitestripeEvents, OrphanedPayment, StripeEventLog, StripeSubscription } from '@litestripe/nestjs';
import { SubscriptionScenario, T0 } from './support/scenario';
import { TcpProxy } from './support/tcp-proxy';
import { createTestApp, Registration, TestApp } from './support/test-app';

describe.each<Registration>(['forRoot', 'forRootAsync'])('failures with %s', (registration) => {
  let t: TestApp;
  beforeAll(async () => {
    // Inline processing's failure contract (5xx, Stripe retries); the inbox's is in webhook-inbox.e2e-spec.ts.
    t = await createTestApp({ registration, options: { webhookProcessing: 'inline' } });
  });
  afterAll(() => t.close());
  beforeEach(() => t.recorder.clear());

  const counts = async () => ({
    subscriptions: await t.dataSource.getRepository(StripeSubscription).count(),
    orphans: await t.dataSource.getRepository(OrphanedPayment).count(),
  });

  it('rolls back everything when the database fails mid-event, records the attempt, and succeeds on retry', async () => {
    // The orphan insert is the last write of a checkout event: failing it proves the claim and
    // the subscription row written before it are rolled back too.
    await t.dataSource.query(`
      CREATE OR REPLACE FUNCTION litestripe_test_fail() RETURNS trigger AS $$
      BEGIN RAISE EXCEPTION 'disk full (simulated)'; END $$ LANGUAGE plpgsql;
      CREATE TRIGGER litestripe_test_fail BEFORE INSERT ON litestripe_orphaned_payment FOR EACH ROW EXECUTE FUNCTION litestripe_test_fail();`);
    const before = await counts();
    const s = new SubscriptionScenario();
    const event = s.checkout({ clientReferenceId: null, email: 'fail@example.com' }, T0);
    try {
      const failed = await t.deliver(event);
      expect(failed.status).toBe(500);
      expect(JSON.stringify(failed.body)).not.toMatch(/disk full/);
      const failedAgain = await t.deliver(event);
      expect(failedAgain.status).toBe(500);
    } finally {
      await t.dataSource.query('DROP TRIGGER litestripe_test_fail ON litestripe_orphaned_payment; DROP FUNCTION litestripe_test_fail();');
    }
    expect(await counts()).toEqual(before);
    expect(t.recorder.names()).toEqual([]);
    expect(await t.dataSource.getRepository(StripeEventLog).findOneByOrFail({ id: event.id })).toMatchObject({
      outcome: 'failed',
      attempts: 2,
      lastError: expect.stringContaining('disk full (simulated)'),
      processedAt: null,
    });

    const retried = await t.deliver(event);
    expect(retried.status).toBe(200);
    expect(retried.body.outcome).toBe('processed');
    expect(await t.dataSource.getRepository(StripeEventLog).findOneByOrFail({ id: event.id })).toMatchObject({ outcome: 'processed', attempts: 3, lastError: null });
    expect(await t.dataSource.getRepository(OrphanedPayment).findOneByOrFail({ checkoutSessionId: s.checkoutSessionId })).toMatchObject({ email: 'fail@example.com', reason: 'missing_reference' });
    expect(t.recorder.names()).toEqual([LitestripeEvents.CheckoutCompleted, LitestripeEvents.PaymentOrphaned]);
  });

  it('keeps committed state and still emits later events when a listener throws', async () => {
    const s = new SubscriptionScenario();
    const emitter = t.recorder['emitter'];
    const throwing = () => {
      throw new Error('listener bug');
    };
    emitter.on(LitestripeEvents.SubscriptionCreated, throwing);
    try {
      const res = await t.deliver(s.subscription('created', { status: 'active', metadata: { client_reference_id: 'acct_listener' } }, T0));
      expect(res.status).toBe(200);
    } finally {
      emitter.off(LitestripeEvents.SubscriptionCreated, throwing);
    }
    expect((await t.dataSource.getRepository(StripeSubscription).findOneByOrFail({ id: s.subscriptionId })).status).toBe('active');
    expect(t.recorder.names()).toEqual(expect.arrayContaining([LitestripeEvents.SubscriptionCreated, LitestripeEvents.SubscriptionActivated]));
  });
});

describe('database down', () => {
  const proxy = new TcpProxy('127.0.0.1', 5432);
  let t: TestApp;
  beforeAll(async () => {
    await proxy.start();
    t = await createTestApp({
      databaseUrl: (url) => {
        const viaProxy = new URL(url);
        viaProxy.port = String(proxy.port);
        return `${viaProxy.toString()}?connect_timeout=2`;
      },
    });
  });
  afterAll(async () => {
    await t.close();
    await proxy.stop();
  });

  it('answers 503 while the database is unreachable and recovers without a restart', async () => {
    const s = new SubscriptionScenario();
    const event = s.subscription('created', { status: 'active' }, T0);
    await proxy.stop();
    const down = await t.deliver(event);
    expect(down.status).toBe(503);
    expect(t.recorder.names()).toEqual([]);

    await proxy.start();
    const up = await t.deliver(event);
    expect(up.status).toBe(200);
    expect(up.body.outcome).toBe('processed');
    expect((await t.dataSource.getRepository(StripeSubscription).findOneByOrFail({ id: s.subscriptionId })).status).toBe('active');
  });
});
