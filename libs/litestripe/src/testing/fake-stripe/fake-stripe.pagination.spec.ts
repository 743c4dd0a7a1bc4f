import Stripe from 'stripe';
import { FakeStripe } from './fake-stripe.server.js';
import { rejectionOf, stripeClient } from './spec-helpers.js';

describe('FakeStripe lists and bulk seeding', () => {
  let fake: FakeStripe;
  let stripe: Stripe;

  beforeAll(async () => {
    fake = await FakeStripe.start();
    stripe = stripeClient(fake);
  });

  afterAll(() => fake.stop());

  beforeEach(() => fake.reset());

  it('seeds thousands of customers and subscriptions straight into the store, without events', () => {
    const seeded = fake.seedSubscriptions(2_500);
    expect(seeded).toHaveLength(2_500);
    expect(fake.subscriptions.count).toBe(2_500);
    expect(fake.customers.count).toBe(2_500);
    expect(fake.events.count).toBe(0);
    expect(fake.subscriptions.get(seeded[0].id)).toMatchObject({ customer: seeded[0].customer, status: 'active', items: { data: [{ price: { lookup_key: 'fake_seed_monthly' } }] } });
  });

  it('auto-paginates over 2,500 subscriptions, newest first, 100 per page', async () => {
    const seeded = fake.seedSubscriptions(2_500, { status: (index) => (index % 5 === 0 ? 'canceled' : 'active'), metadata: (index) => ({ index: String(index) }) });
    const ids: string[] = [];
    for await (const subscription of stripe.subscriptions.list({ status: 'all', limit: 100 })) ids.push(subscription.id);

    expect(ids).toHaveLength(2_500);
    expect(new Set(ids).size).toBe(2_500);
    expect(ids).toEqual(seeded.map((s) => s.id).reverse());
    const pages = fake.requests.filter((request) => request.path === '/v1/subscriptions');
    expect(pages).toHaveLength(25);
    expect(pages[1].params).toMatchObject({ status: 'all', limit: '100', starting_after: ids[99] });

    const open = await stripe.subscriptions.list({ limit: 100 }).autoPagingToArray({ limit: 5_000 });
    expect(open).toHaveLength(2_000);
    expect(open.every((subscription) => subscription.status !== 'canceled')).toBe(true);
  });

  it('searches subscriptions by created, newest first, with total_count when expanded', async () => {
    const seeded = fake.seedSubscriptions(250, { createdFrom: 1_700_000_000, spacingSeconds: 10 });
    const page = await stripe.subscriptions.search({ query: 'created>1700000995', limit: 100, expand: ['total_count'] });
    expect(page.object).toBe('search_result');
    expect(page.total_count).toBe(150);
    expect(page.data).toHaveLength(100);
    expect(page.data[0].id).toBe(seeded[249].id);
    expect(page.has_more).toBe(true);
    const all: string[] = [];
    for await (const sub of stripe.subscriptions.search({ query: 'created>=0', limit: 100 })) all.push(sub.id);
    expect(all).toEqual(seeded.map((s) => s.id).reverse());
    expect((await stripe.subscriptions.search({ query: 'created>0' })).total_count).toBeUndefined();
    expect((await rejectionOf(stripe.subscriptions.search({ query: "status:'active'" }))).message).toMatch(/searches only `created>N`/);
  });

  it('pages backwards with ending_before and reports has_more', async () => {
    const seeded = fake.seedSubscriptions(7).map((s) => s.id);
    const first = await stripe.subscriptions.list({ limit: 3 });
    expect(first).toMatchObject({ object: 'list', has_more: true, url: '/v1/subscriptions' });
    expect(first.data.map((s) => s.id)).toEqual([seeded[6], seeded[5], seeded[4]]);

    const newer = await stripe.subscriptions.list({ limit: 2, ending_before: seeded[1] });
    expect(newer.data.map((s) => s.id)).toEqual([seeded[3], seeded[2]]);
    expect(newer.has_more).toBe(true);

    const reversed: string[] = [];
    for await (const subscription of stripe.subscriptions.list({ limit: 2, ending_before: seeded[2] })) reversed.push(subscription.id);
    expect(reversed).toEqual(seeded.slice(3));

    const last = await stripe.subscriptions.list({ limit: 10, starting_after: seeded[2] });
    expect(last.data.map((s) => s.id)).toEqual([seeded[1], seeded[0]]);
    expect(last.has_more).toBe(false);
  });

  it('defaults to 10 per page and validates limit and cursors', async () => {
    fake.seedSubscriptions(12);
    const page = await stripe.subscriptions.list();
    expect(page.data).toHaveLength(10);
    expect(page.has_more).toBe(true);
    expect(await rejectionOf(stripe.subscriptions.list({ limit: 101 }))).toMatchObject({ statusCode: 400, param: 'limit' });
    expect(await rejectionOf(stripe.subscriptions.list({ starting_after: 'sub_unknown' }))).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'starting_after' });
  });

  it('seeds with a chosen price, statuses and emails', async () => {
    const price = fake.seedPrice({ lookupKey: 'team_yearly', interval: 'year', unitAmount: 24_000, nickname: 'Team' });
    const seeded = fake.seedSubscriptions(4, { price: 'team_yearly', status: 'trialing', email: (index) => `team${index}@example.com` });
    const trialing = await stripe.subscriptions.list({ status: 'trialing', price: price.id });
    expect(trialing.data.map((s) => s.id).sort()).toEqual(seeded.map((s) => s.id).sort());
    expect(trialing.data[0].trial_end).not.toBeNull();
    expect((await stripe.customers.list({ email: 'team2@example.com' })).data[0].id).toBe(seeded[2].customer);
    expect(() => fake.seedSubscriptions(1, { price: 'no_such_price' })).toThrow(/no price/);
  });
});
