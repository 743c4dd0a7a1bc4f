import { LitestripeEvents, OrphanedPayment, StripeEventLog, StripeSubscription } from '@litestripe/nestjs';
import { SubscriptionScenario, T0 } from './support/scenario';
import { createTestApp, Registration, TestApp } from './support/test-app';

describe.each<Registration>(['forRoot', 'forRootAsync'])('duplicates with %s', (registration) => {
  let t: TestApp;
  let second: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ registration });
    second = await createTestApp({ registration, options: { webhookUuid: t.uuid }, keepData: true });
  });
  afterAll(async () => {
    await second.close();
    await t.close();
  });
  beforeEach(() => {
    t.recorder.clear();
    second.recorder.clear();
  });

  const log = (id: string) => t.dataSource.getRepository(StripeEventLog).findOneByOrFail({ id });

  it('answers a sequential redelivery 200 without changing anything or emitting again', async () => {
    const s = new SubscriptionScenario();
    const event = s.subscription('created', { status: 'active' }, T0);
    expect((await t.deliver(event)).body.outcome).toBe('processed');
    const before = await t.dataSource.getRepository(StripeSubscription).findOneByOrFail({ id: s.subscriptionId });
    const eventsBefore = t.recorder.names().length;

    const again = await t.deliver(event);
    expect(again.status).toBe(200);
    expect(again.body.outcome).toBe('duplicate');
    expect(await t.dataSource.getRepository(StripeSubscription).findOneByOrFail({ id: s.subscriptionId })).toEqual(before);
    expect(t.recorder.names()).toHaveLength(eventsBefore);
    expect(await log(event.id)).toMatchObject({ outcome: 'processed', attempts: 1, type: 'customer.subscription.created', apiVersion: '2026-10-28.endive' });
  });

  it('processes a checkout once when ten deliveries race on separate connections of two app instances', async () => {
    const s = new SubscriptionScenario();
    const event = s.checkout({ clientReferenceId: null, email: 'race@example.com' }, T0);
    const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? second : t).deliver(event)));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(responses.filter((r) => r.body.outcome === 'processed')).toHaveLength(1);
    expect(responses.filter((r) => r.body.outcome === 'duplicate')).toHaveLength(9);
    expect(await t.dataSource.getRepository(OrphanedPayment).countBy({ checkoutSessionId: s.checkoutSessionId })).toBe(1);
    const emitted = [...t.recorder.names(), ...second.recorder.names()];
    expect(emitted.filter((name) => name === LitestripeEvents.PaymentOrphaned)).toHaveLength(1);
    expect(emitted.filter((name) => name === LitestripeEvents.CheckoutCompleted)).toHaveLength(1);
  });

  it('ends in the right state when different events of one subscription race each other', async () => {
    for (let round = 0; round < 5; round++) {
      const s = new SubscriptionScenario();
      const events = [
        s.checkout({ clientReferenceId: `acct_race_${round}` }, T0),
        s.subscription('created', { status: 'incomplete' }, T0),
        s.subscription('updated', { status: 'active' }, T0 + 1),
        s.invoice('invoice.paid', `in_race_${round}`, T0 + 1),
        s.subscription('updated', { status: 'active', cancelAtPeriodEnd: true }, T0 + 50),
      ];
      const responses = await Promise.all(events.flatMap((e, i) => [t.deliver(e), second.deliver(events[(i + 2) % events.length])]));
      expect(responses.every((r) => r.status === 200)).toBe(true);
      expect(await t.dataSource.getRepository(StripeSubscription).findOneByOrFail({ id: s.subscriptionId })).toMatchObject({
        status: 'active',
        cancelAtPeriodEnd: true,
        accountRef: `acct_race_${round}`,
        latestPaymentStatus: 'succeeded',
      });
      const emitted = [...t.recorder.names(), ...second.recorder.names()];
      expect(emitted.filter((n) => n === LitestripeEvents.SubscriptionActivated)).toHaveLength(1);
      expect(emitted.filter((n) => n === LitestripeEvents.SubscriptionCreated)).toHaveLength(1);
      t.recorder.clear();
      second.recorder.clear();
    }
  });
});
