import { LitestripeEvents, StripeSubscription } from '@litestripe/nestjs';
import { BillingHost, startBillingHost } from './support/billing-host';
import { entitlementCacheCaughtUp, subscriptionRowsChanged } from '@litestripe/nestjs/testing';
import { Registration } from './support/test-app';

const DAY = 86_400;
/** The default `staleAfterSeconds`. */
const STALE_AFTER = 3600;

describe.each<Registration>(['forRoot', 'forRootAsync'])('SubscriptionService entitlement with %s', (registration) => {
  let t: BillingHost;
  beforeAll(async () => {
    t = await startBillingHost({ registration, options: { pastDueGraceSeconds: 3 * DAY } });
  });
  afterAll(() => t.close());
  beforeEach(() => t.reset());

  it('an account with no subscription is not entitled, with the reason no_subscription', async () => {
    expect(await t.service.getEntitlement('acct_new')).toMatchObject({ accountRef: 'acct_new', entitled: false, reason: 'no_subscription', subscription: null, plan: null });
    expect(await t.service.isEntitled('acct_new')).toBe(false);
    expect(await t.service.listSubscriptions('acct_new')).toEqual([]);
  });

  it('after checkout and its webhooks: entitled through the subscription, with the plan’s features and limits', async () => {
    const { subscription } = await t.subscribe('acct_1', { plan: 'pro' });
    const entitlement = await t.service.getEntitlement('acct_1');
    expect(entitlement).toMatchObject({
      entitled: true,
      reason: 'active',
      plan: 'pro',
      plans: ['pro'],
      features: ['reports', 'export', 'advanced_analytics'],
      limits: { projects: 50, seats: 10 },
      status: 'active',
      cancelAtPeriodEnd: false,
      trialEnd: null,
      graceEndsAt: null,
      quantity: 1,
    });
    expect(entitlement.subscription?.id).toBe(subscription!.id);
    expect(entitlement.currentPeriodEnd).toEqual(new Date(subscription!.items.data[0].current_period_end * 1000));
    expect(await t.service.isEntitled('acct_1', { plan: ['basic', 'pro'] })).toBe(true);
    expect(await t.service.isEntitled('acct_1', { plan: 'enterprise' })).toBe(false);
    expect(await t.service.isEntitled('acct_1', { feature: ['export', 'reports'] })).toBe(true);
    expect(await t.service.isEntitled('acct_1', { feature: 'sso' })).toBe(false);
    await expect(t.service.isEntitled('acct_1', { plan: 'prro' })).rejects.toThrow(/no plan "prro" is configured/);
    await expect(t.service.isEntitled('acct_1', { feature: 'sos' })).rejects.toThrow(/feature "sos"/);
    expect(await t.service.listSubscriptions('acct_1')).toEqual([expect.objectContaining({ plan: 'pro', access: expect.objectContaining({ entitled: true, reason: 'active' }) })]);
  });

  it('a trial entitles until it ends; then the clock decides', async () => {
    const { subscription } = await t.subscribe('acct_trial', { plan: 'basic', trialDays: 7 });
    expect(await t.service.getEntitlement('acct_trial')).toMatchObject({ entitled: true, reason: 'trialing', trialEnd: new Date(subscription!.trial_end! * 1000) });
    t.clock.advance(7 * DAY + 30 * 60); // trial over, renewal webhook not yet in: inside the stale tolerance
    expect(await t.service.getEntitlement('acct_trial')).toMatchObject({ entitled: true, reason: 'trialing' });
  });

  it('past_due entitles during the grace period, counted from the start of the period', async () => {
    const { subscription } = await t.subscribe('acct_late', { plan: 'basic' });
    await t.stripeChanges(subscription!.id, { status: 'past_due' });
    const start = subscription!.items.data[0].current_period_start;
    expect(await t.service.getEntitlement('acct_late')).toMatchObject({ entitled: true, reason: 'past_due_grace', graceEndsAt: new Date((start + 3 * DAY) * 1000) });
    t.clock.advance(3 * DAY + 1);
    expect(await t.service.getEntitlement('acct_late')).toMatchObject({ entitled: false, reason: 'past_due' });
  });

  it('a stale row (renewal webhook missed) is refreshed from Stripe before deciding', async () => {
    const { subscription } = await t.subscribe('acct_renewed', { plan: 'basic' });
    const periodEnd = subscription!.items.data[0].current_period_end;
    // Both clocks just past the stale tolerance after the period's end (a month of 28 to 31 days).
    const staleAt = periodEnd + STALE_AFTER + 60;
    const renewal = t.fake.advanceClock(staleAt - t.fake.now()); // Stripe renews; the webhook never arrives
    expect(renewal.events.map((e) => e.type)).toContain('customer.subscription.updated');
    t.clock.advance(staleAt - t.clock.seconds());
    t.recorder.clear();
    t.fake.clearRequests();

    const entitlement = await t.service.getEntitlement('acct_renewed');
    expect(entitlement).toMatchObject({ entitled: true, reason: 'active' });
    const renewedEnd = t.fake.subscriptions.get(subscription!.id)!.items.data[0].current_period_end;
    expect(renewedEnd).toBeGreaterThan(staleAt);
    expect(entitlement.currentPeriodEnd).toEqual(new Date(renewedEnd * 1000));
    expect(t.fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /v1/subscriptions/${subscription!.id}`]);
    expect(t.recorder.names()).toEqual([LitestripeEvents.SubscriptionUpdated]);
    // The row is current again: the next request asks Stripe nothing.
    await t.service.getEntitlement('acct_renewed');
    expect(t.fake.requests).toHaveLength(1);
  });

  it('a stale row that cannot be refreshed does not entitle, and Stripe is asked at most once a minute of the module clock', async () => {
    const { subscription } = await t.subscribe('acct_dark', { plan: 'basic' });
    t.clock.advance(subscription!.items.data[0].current_period_end + STALE_AFTER + 1 - t.clock.seconds());
    const retrieve = `GET /v1/subscriptions/${subscription!.id}`;
    await t.fake.pause();
    try {
      expect(await t.service.getEntitlement('acct_dark')).toMatchObject({ entitled: false, reason: 'stale' });
    } finally {
      await t.fake.resume();
    }
    t.fake.clearRequests();
    t.fake.failNext(1, { status: 500, shouldRetry: false, match: { path: `/v1/subscriptions/${subscription!.id}` } });
    t.clock.advance(59);
    expect(await t.service.getEntitlement('acct_dark')).toMatchObject({ entitled: false, reason: 'stale' });
    expect(t.fake.requests).toHaveLength(0);

    t.clock.advance(1); // a minute after the failed read: Stripe is asked again, and fails again
    expect(await t.service.getEntitlement('acct_dark')).toMatchObject({ entitled: false, reason: 'stale' });
    expect(t.fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([retrieve]);
  });

  it('counts only subscriptions of the module’s mode: a live-mode row does not entitle with a test key', async () => {
    const { subscription } = await t.subscribe('acct_mode', { plan: 'basic' });
    await t.dataSource.getRepository(StripeSubscription).update({ id: subscription!.id }, { livemode: true });
    expect(await t.service.getEntitlement('acct_mode')).toMatchObject({ entitled: false, reason: 'no_subscription' });
  });

  it('lists plans for a pricing page, with their Stripe prices', async () => {
    expect(t.service.listPlans().map((p) => [p.id, p.prices.length, p.lookupKeys])).toEqual([
      ['basic', 1, []],
      ['pro', 2, []],
      ['enterprise', 0, ['enterprise_monthly']],
    ]);
    const pricing = await t.service.getPricing();
    expect(pricing.find((p) => p.id === 'pro')?.prices).toEqual([
      expect.objectContaining({ id: t.prices.proYearly.id, unitAmount: 29000, currency: 'usd', interval: 'year' }),
      expect.objectContaining({ id: t.prices.proMonthly.id, unitAmount: 2900, interval: 'month' }),
    ]);
    expect(pricing.find((p) => p.id === 'enterprise')?.prices).toEqual([expect.objectContaining({ id: t.prices.enterprise.id, lookupKey: 'enterprise_monthly' })]);
  });
});

describe('the entitlement cache', () => {
  let t: BillingHost;
  beforeAll(async () => {
    t = await startBillingHost({ options: { entitlementCache: { ttlSeconds: 60 }, refreshStaleRows: false } });
  });
  afterAll(() => t.close());
  beforeEach(() => t.reset());

  it('serves repeated lookups from memory, still deciding at the current time', async () => {
    await t.subscribe('acct_c', { plan: 'basic' });
    await entitlementCacheCaughtUp(t.app);
    expect((await t.service.getEntitlement('acct_c')).entitled).toBe(true);
    expect(t.service.peekEntitlement('acct_c')).toMatchObject({ entitled: true, reason: 'active' });
    // Time moves on the cached row: it is decided now, without reading it again.
    t.clock.advance(40 * DAY);
    expect(t.service.peekEntitlement('acct_c')).toMatchObject({ entitled: false, reason: 'stale' });
  });

  it('drops an account’s rows when they change behind the module’s back (support’s SQL), once the database announces it', async () => {
    await t.subscribe('acct_sql', { plan: 'basic' });
    expect((await t.service.getEntitlement('acct_sql')).entitled).toBe(true);
    const change = subscriptionRowsChanged(t.app, 'acct_sql');
    await t.dataSource.query(`UPDATE litestripe_subscription SET status = 'canceled' WHERE account_ref = 'acct_sql'`);
    await change;
    expect(t.service.peekEntitlement('acct_sql')).toBeUndefined();
    expect(await t.service.getEntitlement('acct_sql')).toMatchObject({ entitled: false, reason: 'canceled' });
  });

  it('is invalidated at once by this instance’s own commits: a webhook, or an action', async () => {
    const { subscription } = await t.subscribe('acct_w', { plan: 'basic' });
    expect(await t.service.getEntitlement('acct_w')).toMatchObject({ reason: 'active' });
    await t.stripeChanges(subscription!.id, { cancel_at_period_end: true });
    expect(await t.service.getEntitlement('acct_w')).toMatchObject({ reason: 'canceling' });
    await t.billing.resume('acct_w');
    expect(await t.service.getEntitlement('acct_w')).toMatchObject({ reason: 'active' });
    await t.stripeChanges(subscription!.id, { status: 'canceled' });
    expect(await t.service.getEntitlement('acct_w')).toMatchObject({ entitled: false, reason: 'canceled' });
  });

  it('concurrent misses for one account share one query (the very same rows come back)', async () => {
    await t.subscribe('acct_burst', { plan: 'basic' });
    const results = await Promise.all(Array.from({ length: 20 }, () => t.service.getEntitlement('acct_burst')));
    expect(new Set(results.map((e) => e.subscription)).size).toBe(1);
    expect(results[0].entitled).toBe(true);
  });

  it('drops the rows of the account a subscription is relinked away from (a metadata change alone moves nothing)', async () => {
    const { subscription } = await t.subscribe('acct_from', { plan: 'basic' });
    expect((await t.service.getEntitlement('acct_from')).entitled).toBe(true);
    await t.stripeChanges(subscription!.id, { metadata: { client_reference_id: 'acct_to' } });
    expect((await t.service.getEntitlement('acct_to')).entitled).toBe(false);
    expect((await t.service.getEntitlement('acct_from')).entitled).toBe(true);
    await t.billing.relinkSubscription(subscription!.id, 'acct_to');
    expect((await t.service.getEntitlement('acct_to')).entitled).toBe(true);
    expect((await t.service.getEntitlement('acct_from')).entitled).toBe(false);
  });
});
