import type Stripe from 'stripe';
import { StripeSubscription, SubscriptionSyncService } from '@litestripe/nestjs';
import { FakeStripe } from '@litestripe/nestjs/testing';
import { createTestApp, TestApp } from './support/test-app';
import { TestClock } from './support/test-clock';
import { truncateTables } from './support/test-database';

const DAY = 86_400;

describe('SubscriptionSyncService: replay of the events Stripe failed to deliver', () => {
  let fake: FakeStripe;
  let t: TestApp;
  let sync: SubscriptionSyncService;
  let directoryDown = false;
  const clock = new TestClock();

  beforeAll(async () => {
    // The fake's clock starts 40 days before the module's; each test moves it to the module's time.
    fake = await FakeStripe.start({ now: () => clock.startSeconds - 40 * DAY });
    t = await createTestApp({
      clock,
      options: {
        stripe: fake.clientConfig(),
        maxRequestsPerMinute: 6000,
        rateLimitWindowMs: 1000,
        validateClientReference: (reference) => {
          if (directoryDown && reference === 'acct_flaky') throw new Error('account directory unreachable');
          return true;
        },
      },
    });
    sync = t.app.get(SubscriptionSyncService);
  });
  afterAll(async () => {
    await t.close();
    await fake.stop();
  });
  beforeEach(async () => {
    fake.reset();
    directoryDown = false;
    await truncateTables(t.dataSource);
    t.recorder.clear();
  });

  /** Seeds subscriptions with their events, and marks the events of `types` undelivered. */
  function seedUndelivered(count: number, options: { account?: (index: number) => string | undefined; types?: string[] } = {}) {
    const before = new Set(fake.events.all().map((event) => event.id));
    const seeded = fake.seedSubscriptions(count, {
      recordEvents: true,
      metadata: (index): Record<string, string> => {
        const account = options.account?.(index);
        return account ? { client_reference_id: account } : {};
      },
    });
    const types = options.types ?? ['customer.subscription.created', 'customer.created'];
    for (const event of fake.events.filter((e) => !before.has(e.id) && types.includes(e.type))) fake.markUndelivered(event.id);
    return seeded;
  }

  function undeliver(events: Stripe.Event[]) {
    for (const event of events) fake.markUndelivered(event.id);
    return events;
  }

  const subscriptionEvents = () => t.recorder.events.filter((event) => event.name.startsWith('litestripe.subscription.'));
  const rowIds = async () => (await t.dataSource.getRepository(StripeSubscription).find()).map((row) => row.id).sort();

  it('takes each undelivered event of the last 30 days through the pipeline once, oldest first; a second replay finds them all duplicates', async () => {
    const tooOld = seedUndelivered(3); // 40 days ago: beyond Stripe's 30 days
    fake.advanceClock(40 * DAY);
    const missed = seedUndelivered(20, { account: (index) => (index % 2 ? `acct_${index}` : undefined) });
    const changed = missed.slice(0, 5).flatMap((sub) => undeliver(fake.updateSubscription(sub.id, { quantity: 2 }).events));
    const delivered = fake.seedSubscriptions(4, { recordEvents: true }); // delivered: nothing to replay
    fake.clearRequests();

    const first = await sync.replayUndelivered();
    expect(first).toEqual({ created: 0, updated: 0, unchanged: 0, orphaned: 0, failed: 0, replayed: 25, duplicates: 0, complete: true, stopReason: null, lastId: changed.at(-1)!.id });
    // Neither the too old nor the delivered ones.
    expect(await rowIds()).toEqual(missed.map((sub) => sub.id).sort());
    expect(tooOld.length + delivered.length).toBe(7);
    for (const sub of missed.slice(0, 5)) expect((await t.dataSource.getRepository(StripeSubscription).findOneByOrFail({ id: sub.id })).quantity).toBe(2);

    // Oldest first, as Stripe would have delivered them: each updated subscription was created, then updated.
    for (const sub of missed.slice(0, 5)) {
      const names = subscriptionEvents().filter((event) => event.payload.subscription.id === sub.id).map((event) => event.name);
      expect(names.indexOf('litestripe.subscription.created')).toBeLessThan(names.indexOf('litestripe.subscription.updated'));
    }

    // Asked only for undelivered events of the handled types (customer.created is not one) since 30 days ago.
    const [call] = fake.requests;
    expect(fake.requests).toHaveLength(1);
    expect(call).toMatchObject({ method: 'GET', path: '/v1/events' });
    expect(call.params.delivery_success).toBe('false');
    expect(call.params.types).toEqual(expect.arrayContaining(['customer.subscription.created', 'customer.subscription.updated', 'checkout.session.completed', 'invoice.paid']));
    expect(call.params.types).not.toContain('customer.created');
    const since = Number((call.params.created as Record<string, string>).gte);
    expect(since).toBe(clock.seconds() - 30 * DAY);

    const emitted = t.recorder.names();
    const second = await sync.replayUndelivered();
    expect(second).toMatchObject({ replayed: 0, duplicates: 25, failed: 0, complete: true });
    expect(t.recorder.names()).toEqual(emitted); // no domain event twice
  });

  it('looks back only as many days as asked', async () => {
    fake.advanceClock(38 * DAY);
    seedUndelivered(3); // two days ago
    fake.advanceClock(2 * DAY);
    const recent = seedUndelivered(2);

    expect(await sync.replayUndelivered({ days: 1 })).toMatchObject({ replayed: 2, duplicates: 0 });
    expect(await rowIds()).toEqual(recent.map((sub) => sub.id).sort());
    expect(await sync.replayUndelivered({ days: 3 })).toMatchObject({ replayed: 3, duplicates: 2 });
  });

  it('counts an event that fails, goes on with the others, and replays it on the next run', async () => {
    fake.advanceClock(40 * DAY);
    const [flaky, ...others] = seedUndelivered(4, { account: (index) => (index === 0 ? 'acct_flaky' : `acct_steady_${index}`) });
    directoryDown = true;

    expect(await sync.replayUndelivered()).toMatchObject({ replayed: 3, failed: 1, complete: true });
    expect(await rowIds()).toEqual(others.map((sub) => sub.id).sort());

    directoryDown = false;
    expect(await sync.replayUndelivered()).toMatchObject({ replayed: 1, duplicates: 3, failed: 0 });
    expect((await t.dataSource.getRepository(StripeSubscription).findOneByOrFail({ id: flaky.id })).accountRef).toBe('acct_flaky');
  });

  it('pages through many undelivered events and stops between two of them when aborted', async () => {
    fake.advanceClock(40 * DAY);
    seedUndelivered(230);
    const controller = new AbortController();
    const totals: (number | null)[] = [];
    const first = await sync.replayUndelivered({ signal: controller.signal, onProgress: ({ done, total }) => { totals.push(total); if (done === 50) controller.abort(); } });
    expect(first).toMatchObject({ replayed: 50, complete: false, stopReason: 'aborted' });
    expect(new Set(totals)).toEqual(new Set([230])); // listed first, so the total is known
    expect(fake.requests.filter((request) => request.path === '/v1/events')).toHaveLength(3);

    expect(await sync.replayUndelivered()).toMatchObject({ replayed: 180, duplicates: 50, complete: true });
    expect(await t.dataSource.getRepository(StripeSubscription).count()).toBe(230);
  }, 30_000);
});
