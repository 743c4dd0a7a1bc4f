import type Stripe from 'stripe';
import { getStripeClientToken, OrphanedPayment, StripeSubscription, SubscriptionSyncService } from '@litestripe/nestjs';
import { FakeStripe } from '@litestripe/nestjs/testing';
import { createTestApp, TestApp } from './support/test-app';
import { TestClock } from './support/test-clock';
import { truncateTables } from './support/test-database';

const STATUSES: Stripe.Subscription.Status[] = ['active', 'trialing', 'past_due', 'canceled', 'unpaid', 'incomplete', 'paused', 'incomplete_expired'];
/** Every third subscription carries no account reference: the backfill records it as an orphan, unless it has ended. */
const accountOf = (index: number) => (index % 3 === 0 ? null : `acct_${index}`);

/** Thousands of rows through real PostgreSQL: seconds alone, more on a busy machine. */
const SLOW = 60_000;

describe('SubscriptionSyncService: backfill and re-sync against a fake Stripe', () => {
  let fake: FakeStripe;
  let t: TestApp;
  let sync: SubscriptionSyncService;

  beforeAll(async () => {
    const clock = new TestClock();
    fake = await FakeStripe.start({ now: clock.fakeStripeNow });
    t = await createTestApp({
      clock,
      options: {
        stripe: { ...fake.clientConfig(), maxNetworkRetries: 2 },
        maxRequestsPerMinute: 6000,
        rateLimitWindowMs: 1000,
        // One account's directory lookup is down: its subscription fails, the others go on.
        validateClientReference: (reference) => {
          if (reference === 'acct_directory_down') throw new Error('account directory unreachable');
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
    await truncateTables(t.dataSource);
    t.recorder.clear();
  });

  function seed(count: number) {
    return fake.seedSubscriptions(count, {
      status: (index) => STATUSES[index % STATUSES.length],
      metadata: (index): Record<string, string> => (accountOf(index) ? { client_reference_id: accountOf(index)! } : {}),
    });
  }

  const rows = () => t.dataSource.getRepository(StripeSubscription).find({ order: { id: 'ASC' } });
  const orphans = () => t.dataSource.getRepository(OrphanedPayment).find({ order: { subscriptionId: 'ASC' } });
  const listCalls = () => fake.requests.filter((request) => request.method === 'GET' && request.path === '/v1/subscriptions');

  /** The tables, without the columns that record when a row was written. */
  async function tables() {
    const subscriptions = await t.dataSource.query(`SELECT * FROM litestripe_subscription ORDER BY id`);
    const orphaned = await t.dataSource.query(`SELECT * FROM litestripe_orphaned_payment ORDER BY subscription_id`);
    for (const row of subscriptions) for (const column of ['created_at', 'updated_at', 'event_created']) delete row[column];
    for (const row of orphaned) for (const column of ['id', 'created_at', 'stripe_created']) delete row[column];
    return { subscriptions, orphaned };
  }

  function expectRowsMatchStripe(stored: StripeSubscription[]) {
    const truth = fake.subscriptions.all();
    expect(stored.map((row) => row.id)).toEqual(truth.map((sub) => sub.id).sort());
    const byId = new Map(stored.map((row) => [row.id, row]));
    for (const sub of truth) {
      const item = sub.items.data[0];
      expect(byId.get(sub.id)).toMatchObject({
        customerId: sub.customer,
        accountRef: sub.metadata.client_reference_id ?? null,
        status: sub.status,
        priceId: item.price.id,
        quantity: item.quantity,
        currentPeriodStart: new Date(item.current_period_start * 1000),
        currentPeriodEnd: new Date(item.current_period_end * 1000),
        cancelAtPeriodEnd: sub.cancel_at_period_end,
        livemode: false,
      });
    }
  }

  it('backfills a few thousand subscriptions across many pages: every row as Stripe has it, orphans for those with no account', async () => {
    const seeded = seed(2345);
    const progress: number[] = [];
    const summary = await sync.backfill({ onProgress: ({ done }) => progress.push(done) });

    // An ended subscription gives no access to fix: no orphan (and no email kept) for it.
    const unlinked = seeded.filter((sub, index) => accountOf(index) === null && !['canceled', 'incomplete_expired'].includes(sub.status));
    expect(unlinked.length).toBeGreaterThan(0);
    expect(summary).toEqual({ created: 2345, updated: 0, unchanged: 0, orphaned: unlinked.length, failed: 0, replayed: 0, duplicates: 0, complete: true, stopReason: null, lastId: seeded[0].id });
    expectRowsMatchStripe(await rows());
    const stored = await orphans();
    expect(stored.map((orphan) => orphan.subscriptionId)).toEqual(unlinked.map((sub) => sub.id).sort());
    const emailOf = new Map(seeded.map((sub, index) => [sub.id, `seed-${index}@example.com`]));
    for (const orphan of stored) {
      expect(orphan).toMatchObject({ reason: 'missing_reference', email: emailOf.get(orphan.subscriptionId), checkoutSessionId: null, resolvedAt: null });
      expect(orphan.customerId).toBe(seeded.find((sub) => sub.id === orphan.subscriptionId)!.customer);
    }
    expect(progress).toEqual(Array.from({ length: 2345 }, (_, i) => i + 1));

    // 24 pages of at most 100, each asked for once, every status, customers expanded (for the orphans' emails).
    const calls = listCalls();
    expect(calls).toHaveLength(24);
    for (const call of calls) expect(call.params).toMatchObject({ status: 'all', limit: '100', expand: ['data.customer'] });
    expect(calls.map((call) => call.params.starting_after)).toEqual([undefined, ...Array.from({ length: 23 }, (_, page) => seeded[2345 - 100 * (page + 1)].id)]);
    expect(t.recorder.names().filter((name) => name === 'litestripe.subscription.created')).toHaveLength(2345);
    expect(t.recorder.names().filter((name) => name === 'litestripe.payment.orphaned')).toHaveLength(unlinked.length);
  }, SLOW);

  it('an interrupted backfill, run again, ends exactly where an uninterrupted one does, and emits no domain event twice', async () => {
    seed(1200);
    const uninterrupted = await sync.backfill();
    expect(uninterrupted.created).toBe(1200);
    const expected = await tables();
    const expectedEvents = t.recorder.events.map((event) => `${event.name} ${event.payload.subscription?.id ?? event.payload.subscriptionId}`).sort();

    await truncateTables(t.dataSource);
    t.recorder.clear();
    const controller = new AbortController();
    const first = await sync.backfill({ signal: controller.signal, onProgress: ({ done }) => done === 300 && controller.abort() });
    expect(first).toMatchObject({ complete: false, stopReason: 'aborted', updated: 0, unchanged: 0, failed: 0 });
    // The items in flight when the signal fired finish; no new one starts.
    expect(first.created).toBeGreaterThanOrEqual(300);
    expect(first.created).toBeLessThan(304);
    expect(await t.dataSource.getRepository(StripeSubscription).count()).toBe(first.created);

    const second = await sync.backfill();
    expect(second).toMatchObject({ complete: true, created: 1200 - first.created, unchanged: first.created, updated: 0, failed: 0 });
    expect(first.orphaned + second.orphaned).toBe(uninterrupted.orphaned);
    expect(await tables()).toEqual(expected);
    expect(t.recorder.events.map((event) => `${event.name} ${event.payload.subscription?.id ?? event.payload.subscriptionId}`).sort()).toEqual(expectedEvents);
  }, SLOW);

  it('resumes after the cursor of an interrupted run without asking for the pages already done', async () => {
    const seeded = seed(650);
    const controller = new AbortController();
    const first = await sync.backfill({ signal: controller.signal, concurrency: 1, onProgress: ({ done }) => done === 250 && controller.abort() });
    expect(first).toMatchObject({ created: 250, complete: false, lastId: seeded[650 - 250].id });
    fake.clearRequests();

    const rest = await sync.backfill({ startingAfter: first.lastId! });
    expect(rest).toMatchObject({ created: 400, unchanged: 0, complete: true });
    expect(listCalls().map((call) => call.params.starting_after)).toEqual([seeded[400].id, seeded[300].id, seeded[200].id, seeded[100].id]);
    expectRowsMatchStripe(await rows());
  }, SLOW);

  it('stops when a page cannot be read after the client\'s retries, and says where to resume', async () => {
    const seeded = seed(350);
    fake.failNext(1, { match: { path: '/v1/subscriptions' } }); // one 500: stripe-node retries it
    const afterRetry = await sync.backfill();
    expect(afterRetry).toMatchObject({ created: 350, complete: true });

    await truncateTables(t.dataSource);
    fake.clearRequests();
    let armed = false;
    const summary = await sync.backfill({
      concurrency: 1,
      onProgress: () => {
        // Every attempt at the next page not yet asked for fails (page 2 or 3: page 2 may be prefetched already).
        if (!armed) fake.failNext(3, { match: { path: '/v1/subscriptions' }, status: 503 });
        armed = true;
      },
    });
    expect(summary).toMatchObject({ complete: false, stopReason: 'list-failed', failed: 0 });
    expect([100, 200]).toContain(summary.created);
    expect(summary.lastId).toBe(seeded[350 - summary.created].id);
    expect(listCalls()).toHaveLength(summary.created / 100 + 3); // the pages read, then one page tried three times

    const resumed = await sync.backfill({ startingAfter: summary.lastId! });
    expect(resumed).toMatchObject({ created: 350 - summary.created, unchanged: 0, complete: true });
    expectRowsMatchStripe(await rows());
  }, SLOW);

  it('counts and logs a subscription that cannot be written, and goes on with the others', async () => {
    const [broken, ...others] = fake.seedSubscriptions(5, { metadata: (index) => ({ client_reference_id: index === 0 ? 'acct_directory_down' : `acct_ok_${index}` }) });
    const summary = await sync.backfill();
    expect(summary).toMatchObject({ created: 4, failed: 1, complete: true });
    const stored = await rows();
    expect(stored.map((row) => row.id).sort()).toEqual(others.map((sub) => sub.id).sort());
    expect(stored.find((row) => row.id === broken.id)).toBeUndefined();
  });

  it('re-syncs one subscription: what changed in Stripe is written, a second sync finds it unchanged', async () => {
    const [target, other] = seed(2);
    await sync.backfill();
    fake.updateSubscription(target.id, { quantity: 5, cancel_at_period_end: true });
    fake.updateSubscription(other.id, { quantity: 9 });
    fake.clearRequests();

    expect(await sync.syncSubscription(target.id)).toMatchObject({ updated: 1, created: 0, unchanged: 0, failed: 0, complete: true });
    expect(fake.requests.map((request) => `${request.method} ${request.path}`)).toEqual([`GET /v1/subscriptions/${target.id}`]);
    const row = await t.dataSource.getRepository(StripeSubscription).findOneByOrFail({ id: target.id });
    expect(row).toMatchObject({ quantity: 5, cancelAtPeriodEnd: true });
    expect((await t.dataSource.getRepository(StripeSubscription).findOneByOrFail({ id: other.id })).quantity).toBe(1); // not asked for
    expect(await sync.syncSubscription(target.id)).toMatchObject({ updated: 0, unchanged: 1 });
  });

  it('counts a subscription Stripe does not know as failed, without throwing', async () => {
    expect(await sync.syncSubscription('sub_doesnotexist')).toMatchObject({ failed: 1, created: 0, complete: true });
    expect(await rows()).toEqual([]);
  });

  it('re-syncs every subscription of one customer, of any status, and nobody else\'s', async () => {
    const [first, stranger] = fake.seedSubscriptions(2, { metadata: () => ({ client_reference_id: 'acct_customer_sync' }) });
    const stripe = t.app.get<Stripe>(getStripeClientToken());
    const price = fake.subscriptions.get(first.id)!.items.data[0].price.id;
    const second = await stripe.subscriptions.create({ customer: first.customer, items: [{ price }], metadata: { client_reference_id: 'acct_customer_sync' } });
    const third = await stripe.subscriptions.create({ customer: first.customer, items: [{ price }] });
    await stripe.subscriptions.cancel(third.id);
    fake.clearRequests();

    const summary = await sync.syncCustomer(first.customer);
    // The third has no account but has ended: nothing left to link, so no orphan.
    expect(summary).toMatchObject({ created: 3, updated: 0, failed: 0, orphaned: 0, complete: true });
    expect((await rows()).map((row) => row.id).sort()).toEqual([first.id, second.id, third.id].sort());
    expect(await t.dataSource.getRepository(StripeSubscription).findOneBy({ id: stranger.id })).toBeNull();
    expect((await t.dataSource.getRepository(StripeSubscription).findOneByOrFail({ id: third.id })).status).toBe('canceled');
    expect(listCalls().map((call) => call.params)).toEqual([expect.objectContaining({ customer: first.customer, status: 'all' })]);
  });

  it('refuses options that cannot work, saying what to give', async () => {
    await expect(sync.backfill({ concurrency: 0 })).rejects.toThrow('concurrency must be a whole number from 1 to 32');
    await expect(sync.replayUndelivered({ days: 31 })).rejects.toThrow('Stripe lists events of the last 30 days only');
  });
});
