import { LitestripeEvents, StripeSubscription } from '@litestripe/nestjs';
import { SubscriptionScenario, T0 } from './support/scenario';
import { Adapter, createTestApp, Registration, TestApp } from './support/test-app';

const combos: [Adapter, Registration][] = [
  ['express', 'forRoot'],
  ['express', 'forRootAsync'],
  ['fastify', 'forRoot'],
  ['fastify', 'forRootAsync'],
];

describe.each(combos)('subscription lifecycle over %s with %s', (adapter, registration) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ adapter, registration });
  });
  afterAll(() => t.close());

  const row = (id: string) => t.dataSource.getRepository(StripeSubscription).findOneByOrFail({ id });

  it.each(['current', 'legacy'] as const)('follows checkout, creation, payment, renewal, cancellation and deletion (%s payloads)', async (shape) => {
    const s = new SubscriptionScenario(shape);
    t.recorder.clear();
    const period1 = { periodStart: T0, periodEnd: T0 + 30 * 86400 };

    let res = await t.deliver(s.checkout({ clientReferenceId: 'acct_42' }, T0));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, outcome: 'processed' });
    expect(await row(s.subscriptionId)).toMatchObject({ accountRef: 'acct_42', customerId: s.customerId, status: null });
    expect(t.recorder.names()).toEqual([LitestripeEvents.CheckoutCompleted]);

    t.recorder.clear();
    await t.deliver(s.subscription('created', { status: 'active', ...period1 }, T0));
    expect(await row(s.subscriptionId)).toMatchObject({
      status: 'active',
      accountRef: 'acct_42',
      priceId: 'price_pro_monthly',
      productId: 'prod_pro',
      currentPeriodStart: new Date(T0 * 1000),
      currentPeriodEnd: new Date((T0 + 30 * 86400) * 1000),
    });
    expect(t.recorder.names()).toEqual([LitestripeEvents.SubscriptionCreated, LitestripeEvents.SubscriptionActivated]);
    expect(t.recorder.events[0].payload).toMatchObject({ previousStatus: null, stripeEvent: { type: 'customer.subscription.created', created: T0 } });

    t.recorder.clear();
    await t.deliver(s.invoice('invoice.paid', 'in_first', T0 + 1));
    await t.deliver(s.invoice('invoice.payment_succeeded', 'in_first', T0 + 1));
    expect(await row(s.subscriptionId)).toMatchObject({ latestInvoiceId: 'in_first', latestPaymentStatus: 'succeeded' });
    expect(t.recorder.names()).toEqual([LitestripeEvents.PaymentSucceeded]);

    t.recorder.clear();
    const period2 = { periodStart: T0 + 30 * 86400, periodEnd: T0 + 60 * 86400 };
    await t.deliver(s.subscription('updated', { status: 'active', ...period2 }, T0 + 30 * 86400));
    expect((await row(s.subscriptionId)).currentPeriodEnd).toEqual(new Date((T0 + 60 * 86400) * 1000));
    expect(t.recorder.names()).toEqual([LitestripeEvents.SubscriptionUpdated]);

    t.recorder.clear();
    await t.deliver(s.subscription('updated', { status: 'active', ...period2, cancelAtPeriodEnd: true }, T0 + 31 * 86400));
    expect(await row(s.subscriptionId)).toMatchObject({ cancelAtPeriodEnd: true, status: 'active' });
    expect(t.recorder.names()).toEqual([LitestripeEvents.SubscriptionUpdated, LitestripeEvents.SubscriptionCanceled]);

    t.recorder.clear();
    const end = T0 + 60 * 86400;
    await t.deliver(s.subscription('deleted', { status: 'canceled', ...period2, cancelAtPeriodEnd: true, canceledAt: end, endedAt: end }, end));
    expect(await row(s.subscriptionId)).toMatchObject({ status: 'canceled', endedAt: new Date(end * 1000), accountRef: 'acct_42' });
    expect(t.recorder.names()).toEqual([LitestripeEvents.SubscriptionUpdated, LitestripeEvents.SubscriptionDeactivated, LitestripeEvents.SubscriptionDeleted]);
    expect(t.recorder.events[1].payload.previousStatus).toBe('active');
  });
});
