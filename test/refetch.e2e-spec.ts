import type Stripe from 'stripe';
import { LitestripeModuleOptions, StripeSubscription } from '@litestripe/nestjs';
import { buildStripeEvent, FakeStripe } from '@litestripe/nestjs/testing';
import { seededRandom, shuffle } from './support/seeded-random';
import { createTestApp, TestApp } from './support/test-app';
import { TestClock } from './support/test-clock';

type Mode = NonNullable<LitestripeModuleOptions['refetch']>;

describe('refetch: Stripe as the source of truth', () => {
  let fake: FakeStripe;
  const apps = new Map<Mode, TestApp>();

  beforeAll(async () => {
    const clock = new TestClock();
    fake = await FakeStripe.start({ now: clock.fakeStripeNow });
    // Three differently configured hosts share one database. Under deferred processing
    // (test:deferred) each one's sweep would apply the others' inbox with its own refetch mode,
    // so only the instance that received an event applies it: the sweep does not come round.
    const inbox = { sweepIntervalMs: 600_000 };
    for (const mode of ['never', 'on-conflict', 'always'] as Mode[]) {
      const options = { refetch: mode, refetchTimeoutMs: 2000, inbox, stripe: { ...fake.clientConfig(), maxNetworkRetries: 0 } };
      apps.set(mode, await createTestApp({ clock, options, keepData: apps.size > 0 }));
    }
  });
  afterAll(async () => {
    for (const app of apps.values()) await app.close();
    await fake.stop();
  });
  beforeEach(() => fake.clearRequests());

  /** A subscription with a few changes made in Stripe, and the events Stripe recorded for them. */
  function historyInStripe(account: string): { id: string; events: Stripe.Event[] } {
    const [seeded] = fake.seedSubscriptions(1, { recordEvents: true, metadata: () => ({ client_reference_id: account }) });
    for (const patch of [{ quantity: 2 }, { cancel_at_period_end: true }, { cancel_at_period_end: false, quantity: 3 }, { status: 'past_due' as const }, { status: 'active' as const }]) {
      fake.advanceClock(5);
      fake.updateSubscription(seeded.id, patch);
    }
    const events = fake.events.filter((e) => e.type.startsWith('customer.subscription.') && (e.data.object as { id: string }).id === seeded.id);
    return { id: seeded.id, events };
  }

  function expectStripeState(row: StripeSubscription, id: string) {
    const truth = fake.subscriptions.get(id)!;
    expect(row).toMatchObject({ status: truth.status, quantity: truth.items.data[0].quantity, cancelAtPeriodEnd: truth.cancel_at_period_end });
  }

  it.each(['never', 'on-conflict', 'always'] as Mode[])('a shuffled, duplicated stream of one subscription’s events ends in Stripe’s final state (%s)', async (mode) => {
    const app = apps.get(mode)!;
    for (const seed of [1, 2, 3]) {
      const { id, events } = historyInStripe(`acct_${mode.replace('-', '_')}_${seed}`);
      expect(events.length).toBeGreaterThanOrEqual(6);
      const stream = shuffle([...events, ...events.filter((_, i) => i % 2 === 0)], seededRandom(seed));
      for (const event of stream) expect((await app.deliver(event)).status).toBe(200);
      expectStripeState(await app.dataSource.getRepository(StripeSubscription).findOneByOrFail({ id }), id);
    }
    const retrievals = fake.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/v1/subscriptions/'));
    if (mode === 'always') expect(retrievals.length).toBeGreaterThan(0);
    else expect(retrievals).toHaveLength(0);
  });

  it('always holds Stripe’s state even when payloads contradict each other and it', async () => {
    const app = apps.get('always')!;
    const { id, events } = historyInStripe('acct_contradiction');
    const truth = fake.subscriptions.get(id)!;
    const later = fake.now() + 100;
    const lies = [
      buildStripeEvent('customer.subscription.updated', { ...truth, status: 'unpaid' }, { created: later }),
      buildStripeEvent('customer.subscription.updated', { ...truth, status: 'past_due', cancel_at_period_end: true }, { created: later + 1 }),
    ];
    for (const event of [...events, ...lies]) await app.deliver(event);
    expectStripeState(await app.dataSource.getRepository(StripeSubscription).findOneByOrFail({ id }), id);
  });

  it('on-conflict asks Stripe only to settle a same-second disagreement', async () => {
    const app = apps.get('on-conflict')!;
    const never = apps.get('never')!;
    // Both apps share one database: each gets a subscription of its own, in the same state (active).
    const [mine, theirs] = fake.seedSubscriptions(2, { metadata: () => ({ client_reference_id: 'acct_tie' }) });
    const second = fake.now();
    const tieOf = (id: string) =>
      (['active', 'past_due'] as const).map((status) => buildStripeEvent('customer.subscription.updated', { ...fake.subscriptions.get(id)!, status }, { created: second }));
    for (const event of tieOf(mine.id)) await app.deliver(event);
    for (const event of tieOf(theirs.id)) await never.deliver(event);
    const status = async (id: string) => (await app.dataSource.getRepository(StripeSubscription).findOneByOrFail({ id })).status;
    expect(await status(mine.id)).toBe('active');
    expect(await status(theirs.id)).toBe('past_due');
    expect(fake.requests.filter((r) => r.path === `/v1/subscriptions/${mine.id}`)).toHaveLength(1);
  });

  it('skips the call for a final payload, and falls back to the payload when Stripe is unreachable', async () => {
    const app = apps.get('always')!;
    const [seeded] = fake.seedSubscriptions(1);
    const truth = fake.subscriptions.get(seeded.id)!;
    await app.deliver(buildStripeEvent('customer.subscription.deleted', { ...truth, status: 'canceled', ended_at: fake.now() }, { created: fake.now() }));
    expect(fake.requests).toHaveLength(0);

    const [other] = fake.seedSubscriptions(1);
    await fake.pause();
    try {
      const current = fake.subscriptions.get(other.id)!;
      const items = { ...current.items, data: current.items.data.map((item) => ({ ...item, quantity: 7 })) };
      const res = await app.deliver(buildStripeEvent('customer.subscription.updated', { ...current, items }, { created: fake.now() }));
      expect(res.status).toBe(200);
    } finally {
      await fake.resume();
    }
    expect((await app.dataSource.getRepository(StripeSubscription).findOneByOrFail({ id: other.id })).quantity).toBe(7);
    expect((await app.dataSource.getRepository(StripeSubscription).findOneByOrFail({ id: seeded.id })).status).toBe('canceled');
  });
});
