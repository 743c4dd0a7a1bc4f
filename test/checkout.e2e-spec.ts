import { BadRequestException, ForbiddenException, NotFoundException } from '@nestjs/common';
import { LitestripeEvents } from '@litestripe/nestjs';
import { BillingHost, startBillingHost } from './support/billing-host';

const SUCCESS = 'https://app.example/welcome?session_id={CHECKOUT_SESSION_ID}';
const CANCEL = 'https://app.example/pricing';

describe('checkout and billing portal against the fake Stripe', () => {
  let t: BillingHost;
  beforeAll(async () => {
    t = await startBillingHost();
  });
  afterAll(() => t.close());
  beforeEach(() => t.reset());

  const posts = (path: string) => t.fake.requests.filter((r) => r.method === 'POST' && r.path === path);

  it('creates a subscription-mode session that carries the account as client_reference_id and in the subscription metadata', async () => {
    const session = await t.billing.createCheckoutSession({ accountRef: 'acct_1', plan: 'basic', successUrl: SUCCESS, cancelUrl: CANCEL, trialDays: 14, quantity: 2, allowPromotionCodes: true, metadata: { campaign: 'spring' } });
    expect(session.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/checkout\/cs_/);
    const [request] = posts('/v1/checkout/sessions');
    expect(request.params).toMatchObject({
      mode: 'subscription',
      client_reference_id: 'acct_1',
      customer: session.customer,
      line_items: [{ price: t.prices.basic.id, quantity: '2' }],
      allow_promotion_codes: 'true',
      metadata: { campaign: 'spring' },
      subscription_data: { trial_period_days: '14', metadata: { campaign: 'spring', client_reference_id: 'acct_1' } },
    });
    expect(request.idempotencyKey).toMatch(/^litestripe-checkout-/);

    const { subscription } = t.fake.completeCheckoutSession(session.id);
    expect(subscription).toMatchObject({ status: 'trialing', metadata: { client_reference_id: 'acct_1', campaign: 'spring' } });
  });

  it('sells a plan by its first price, a lookup key, or a price id', async () => {
    const pro = await t.billing.createCheckoutSession({ accountRef: 'acct_1', plan: 'pro', successUrl: SUCCESS, cancelUrl: CANCEL });
    const enterprise = await t.billing.createCheckoutSession({ accountRef: 'acct_1', plan: 'enterprise', successUrl: SUCCESS, cancelUrl: CANCEL });
    const byKey = await t.billing.createCheckoutSession({ accountRef: 'acct_1', lookupKey: 'pro_monthly', successUrl: SUCCESS, cancelUrl: CANCEL });
    const byPrice = await t.billing.createCheckoutSession({ accountRef: 'acct_1', price: t.prices.basic.id, successUrl: SUCCESS, cancelUrl: CANCEL });
    expect(posts('/v1/checkout/sessions').map((r) => (r.params.line_items as { price: string }[])[0].price)).toEqual([
      t.prices.proYearly.id,
      t.prices.enterprise.id,
      t.prices.proMonthly.id,
      t.prices.basic.id,
    ]);
    expect([pro, enterprise, byKey, byPrice].map((s) => s.customer)).toEqual(Array(4).fill(pro.customer));
  });

  it('reuses the account’s customer: repeated and concurrent first checkouts create one customer', async () => {
    const concurrent = await Promise.all(
      Array.from({ length: 6 }, () => t.billing.createCheckoutSession({ accountRef: 'acct_race', plan: 'basic', successUrl: SUCCESS, cancelUrl: CANCEL })),
    );
    const later = await t.billing.createCheckoutSession({ accountRef: 'acct_race', plan: 'pro', successUrl: SUCCESS, cancelUrl: CANCEL });
    const customers = new Set([...concurrent, later].map((s) => s.customer));
    expect(customers.size).toBe(1);
    expect(t.fake.customers.all().filter((c) => c.metadata.client_reference_id === 'acct_race')).toHaveLength(1);
    expect(await t.dataSource.query('SELECT account_ref, livemode, customer_id FROM litestripe_customer')).toEqual([
      { account_ref: 'acct_race', livemode: false, customer_id: [...customers][0] },
    ]);
    expect(posts('/v1/customers').every((r) => r.idempotencyKey === 'litestripe-customer-test-acct_race')).toBe(true);
  });

  it('reuses a customer that a webhook linked before the mapping existed', async () => {
    const first = await t.subscribe('acct_linked', { plan: 'basic' });
    await t.dataSource.query('TRUNCATE litestripe_customer');
    const again = await t.billing.createCheckoutSession({ accountRef: 'acct_linked', plan: 'pro', successUrl: SUCCESS, cancelUrl: CANCEL });
    expect(again.customer).toBe(first.customer.id);
  });

  it('refuses account references Stripe would drop, and bad requests, before calling Stripe', async () => {
    const attempts = [
      { accountRef: 'user@example.com', plan: 'basic', successUrl: SUCCESS, cancelUrl: CANCEL },
      { accountRef: 'a'.repeat(201), plan: 'basic', successUrl: SUCCESS, cancelUrl: CANCEL },
      { accountRef: 'acct_1', plan: 'platinum', successUrl: SUCCESS, cancelUrl: CANCEL },
      { accountRef: 'acct_1', plan: 'basic', price: t.prices.basic.id, successUrl: SUCCESS, cancelUrl: CANCEL },
      { accountRef: 'acct_1', plan: 'basic', successUrl: '/welcome', cancelUrl: CANCEL },
      { accountRef: 'acct_1', plan: 'basic', successUrl: SUCCESS, cancelUrl: CANCEL, quantity: 0 },
    ];
    for (const attempt of attempts) await expect(t.billing.createCheckoutSession(attempt)).rejects.toBeInstanceOf(BadRequestException);
    await expect(t.billing.createCheckoutSession(attempts[0])).rejects.toThrow(/letters, digits/);
    await expect(t.billing.createCheckoutSession(attempts[2])).rejects.toThrow(/Unknown plan "platinum"; configured plans: basic, pro, enterprise/);
    expect(t.fake.requests).toHaveLength(0);
  });

  describe('the success page before the webhook', () => {
    it('syncCheckoutSession makes the subscription local at once; the webhook then changes nothing and repeats no event', async () => {
      const completed = await t.subscribe('acct_fast', { plan: 'pro' }, { deliver: false });
      expect((await t.service.getEntitlement('acct_fast')).entitled).toBe(false);

      const synced = await t.billing.syncCheckoutSession(completed.session.id, { accountRef: 'acct_fast' });
      expect(synced).toMatchObject({ status: 'complete', accountRef: 'acct_fast' });
      expect(synced.subscription).toMatchObject({ id: completed.subscription!.id, accountRef: 'acct_fast', status: 'active', priceId: t.prices.proYearly.id, customerId: completed.customer.id });
      expect(await t.service.getEntitlement('acct_fast')).toMatchObject({ entitled: true, reason: 'active', plan: 'pro' });
      expect(t.recorder.names()).toEqual([LitestripeEvents.SubscriptionCreated, LitestripeEvents.SubscriptionActivated]);
      const rowAfterSync = await t.row(completed.subscription!.id);

      t.recorder.clear();
      await t.deliver(...completed.events);
      const names = t.recorder.names();
      expect(names).not.toContain(LitestripeEvents.SubscriptionCreated);
      expect(names).not.toContain(LitestripeEvents.SubscriptionActivated);
      expect(names).not.toContain(LitestripeEvents.SubscriptionUpdated);
      expect(names).toContain(LitestripeEvents.CheckoutCompleted);
      const row = await t.row(completed.subscription!.id);
      expect(row).toMatchObject({ accountRef: 'acct_fast', status: 'active', priceId: rowAfterSync!.priceId, currentPeriodEnd: rowAfterSync!.currentPeriodEnd });
    });

    it('reports an open session as not complete and writes nothing', async () => {
      const session = await t.billing.createCheckoutSession({ accountRef: 'acct_slow', plan: 'basic', successUrl: SUCCESS, cancelUrl: CANCEL });
      expect(await t.billing.syncCheckoutSession(session.id)).toEqual({ status: 'open', subscription: null, purchase: null, accountRef: 'acct_slow', guest: null });
      expect(await t.dataSource.query('SELECT id FROM litestripe_subscription')).toEqual([]);
    });

    it('refuses another account’s session and malformed ids', async () => {
      const completed = await t.subscribe('acct_owner', { plan: 'basic' }, { deliver: false });
      await expect(t.billing.syncCheckoutSession(completed.session.id, { accountRef: 'acct_thief' })).rejects.toBeInstanceOf(ForbiddenException);
      await expect(t.billing.syncCheckoutSession('cs_x; drop table')).rejects.toBeInstanceOf(BadRequestException);
      expect(await t.row(completed.subscription!.id)).toBeNull();
    });

    it('also works when the webhook came first', async () => {
      const completed = await t.subscribe('acct_slowpage', { plan: 'basic' });
      t.recorder.clear();
      const synced = await t.billing.syncCheckoutSession(completed.session.id);
      expect(synced.subscription).toMatchObject({ accountRef: 'acct_slowpage', status: 'active' });
      expect(t.recorder.names()).toEqual([]);
    });
  });

  describe('billing portal', () => {
    it('opens a portal session for the account’s customer', async () => {
      const completed = await t.subscribe('acct_portal', { plan: 'basic' });
      const portal = await t.billing.createBillingPortalSession('acct_portal', 'https://app.example/account');
      expect(portal).toMatchObject({ customer: completed.customer.id, return_url: 'https://app.example/account' });
      expect(portal.url).toMatch(/\/billing_portal\//);
      expect(posts('/v1/billing_portal/sessions')[0].idempotencyKey).toMatch(/^litestripe-portal-/);
    });

    it('says to check out first when the account has no customer', async () => {
      await expect(t.billing.createBillingPortalSession('acct_nobody', 'https://app.example/account')).rejects.toThrow(NotFoundException);
      await expect(t.billing.createBillingPortalSession('acct_nobody', 'https://app.example/account')).rejects.toThrow(/send it to checkout first/);
    });
  });
});
