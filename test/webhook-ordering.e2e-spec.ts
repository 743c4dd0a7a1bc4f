import { StripeSubscription } from '@litestripe/nestjs';
import { SubscriptionScenario, T0 } from './support/scenario';
import { createTestApp, Registration, TestApp } from './support/test-app';

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

const DAY = 86_400;

describe.each<Registration>(['forRoot', 'forRootAsync'])('event order with %s', (registration) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ registration });
  });
  afterAll(() => t.close());

  const row = (id: string) => t.dataSource.getRepository(StripeSubscription).findOneByOrFail({ id });

  async function deliverAll(events: object[]) {
    for (const event of events) expect((await t.deliver(event)).status).toBe(200);
  }

  describe.each(['current', 'legacy'] as const)('%s payloads', (shape) => {
    it.each(permutations(['created', 'updated', 'deleted'] as const).map((p) => [p.join(' → '), p]))(
      'created/updated/deleted in the order %s ends canceled',
      async (_label, order) => {
        const s = new SubscriptionScenario(shape);
        const events = {
          created: s.subscription('created', { status: 'incomplete' }, T0),
          updated: s.subscription('updated', { status: 'active', quantity: 3 }, T0 + 60),
          deleted: s.subscription('deleted', { status: 'canceled', quantity: 3, canceledAt: T0 + 120, endedAt: T0 + 120 }, T0 + 120),
        };
        await deliverAll(order.map((name) => events[name]));
        expect(await row(s.subscriptionId)).toMatchObject({ status: 'canceled', quantity: 3, endedAt: new Date((T0 + 120) * 1000), eventCreated: T0 + 120 });
      },
    );
  });

  it.each(permutations(['checkout', 'created', 'updated'] as const).map((p) => [p.join(' → '), p]))(
    'checkout and subscription events in the order %s keep each other’s fields',
    async (_label, order) => {
      const s = new SubscriptionScenario();
      const events = {
        checkout: s.checkout({ clientReferenceId: 'acct_order', metadata: { campaign: 'spring' } }, T0 + 1),
        created: s.subscription('created', { status: 'incomplete', metadata: { plan: 'pro' } }, T0),
        updated: s.subscription('updated', { status: 'active', metadata: { plan: 'pro' } }, T0 + 2),
      };
      await deliverAll(order.map((name) => events[name]));
      expect(await row(s.subscriptionId)).toMatchObject({
        status: 'active',
        accountRef: 'acct_order',
        customerId: s.customerId,
        metadata: { checkout: { campaign: 'spring' }, subscription: { plan: 'pro' } },
      });
    },
  );

  describe('several events in the same second', () => {
    it.each([
      ['active then canceled', ['active', 'canceled'], 'canceled'],
      ['canceled then active', ['canceled', 'active'], 'canceled'],
      ['incomplete then active', ['incomplete', 'active'], 'active'],
      ['active then incomplete', ['active', 'incomplete'], 'active'],
      ['active then past_due', ['active', 'past_due'], 'past_due'],
      ['past_due then active', ['past_due', 'active'], 'past_due'],
      ['trialing then paused', ['trialing', 'paused'], 'paused'],
    ])('%s ends %s', async (_label, statuses, expected) => {
      const s = new SubscriptionScenario();
      await deliverAll(statuses.map((status) => s.subscription(status === 'canceled' ? 'deleted' : 'updated', { status }, T0)));
      expect((await row(s.subscriptionId)).status).toBe(expected);
    });
  });

  it('never reopens a canceled subscription, even for a later event', async () => {
    const s = new SubscriptionScenario();
    await deliverAll([s.subscription('deleted', { status: 'canceled', endedAt: T0 }, T0), s.subscription('updated', { status: 'active' }, T0 + 5)]);
    expect((await row(s.subscriptionId)).status).toBe('canceled');
  });

  it('keeps the newest period when renewals arrive out of order', async () => {
    const s = new SubscriptionScenario();
    const renewals = [0, 1, 2, 3].map((n) => s.subscription('updated', { status: 'active', periodStart: T0 + n * 30 * DAY, periodEnd: T0 + (n + 1) * 30 * DAY }, T0 + n * 30 * DAY));
    await deliverAll([renewals[2], renewals[0], renewals[3], renewals[1]]);
    expect((await row(s.subscriptionId)).currentPeriodEnd).toEqual(new Date((T0 + 4 * 30 * DAY) * 1000));
  });

  it('records the latest payment outcome, whichever invoice event arrives first', async () => {
    const s = new SubscriptionScenario();
    await deliverAll([s.invoice('invoice.paid', 'in_2', T0 + 100), s.invoice('invoice.payment_failed', 'in_1', T0), s.subscription('created', { status: 'active' }, T0)]);
    expect(await row(s.subscriptionId)).toMatchObject({ latestInvoiceId: 'in_2', latestPaymentStatus: 'succeeded', status: 'active' });
  });
});
