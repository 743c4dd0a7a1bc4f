import type Stripe from 'stripe';
import { SubscriptionSyncService } from '@litestripe/nestjs';
import { BillingHost, startBillingHost } from './support/billing-host';

const DAY = 86_400;

describe('paused payment collection: access as Stripe advises, through real webhooks', () => {
  let t: BillingHost;
  let subscriptionId: string;
  beforeAll(async () => {
    t = await startBillingHost();
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.reset();
    subscriptionId = (await t.subscribe('acct_1', { price: t.prices.basic.id })).subscription!.id;
  });

  /** Lets Stripe's and the module's time pass together, delivering what Stripe did meanwhile. */
  async function timePasses(seconds: number): Promise<Stripe.Event[]> {
    const { events } = t.fake.advanceClock(seconds);
    t.clock.advance(seconds + 2);
    await t.deliver(...events);
    return events;
  }

  it('a void pause keeps access until the end of the period already paid; the voided renewal takes it away', async () => {
    await t.stripeChanges(subscriptionId, { pause_collection: { behavior: 'void', resumes_at: null } });
    const row = (await t.row(subscriptionId))!;
    expect(row).toMatchObject({ pauseBehavior: 'void', pauseResumesAt: null, latestPaymentStatus: 'succeeded' });
    expect(await t.service.getEntitlement('acct_1')).toMatchObject({ entitled: true, reason: 'active', until: row.currentPeriodEnd });

    const untilPeriodEnd = row.currentPeriodEnd!.getTime() / 1000 - t.fake.now();
    const renewal = await timePasses(untilPeriodEnd + 60);
    expect(renewal.map((e) => e.type)).toEqual(expect.arrayContaining(['customer.subscription.updated', 'invoice.voided']));
    expect(await t.row(subscriptionId)).toMatchObject({ status: 'active', pauseBehavior: 'void' });
    expect(await t.service.getEntitlement('acct_1')).toMatchObject({ entitled: false, reason: 'collection_paused', status: 'active' });

    await t.billing.resume('acct_1');
    expect(await t.service.getEntitlement('acct_1')).toMatchObject({ entitled: true, reason: 'active' });
  });

  it('a keep_as_draft pause keeps access across a renewal whose invoice stays a draft', async () => {
    await t.stripeChanges(subscriptionId, { pause_collection: { behavior: 'keep_as_draft', resumes_at: null } });
    const periodEnd = (await t.row(subscriptionId))!.currentPeriodEnd!;
    const renewal = await timePasses(periodEnd.getTime() / 1000 - t.fake.now() + 60);
    expect(renewal.map((e) => e.type)).not.toContain('invoice.paid');
    const entitlement = await t.service.getEntitlement('acct_1');
    expect(entitlement).toMatchObject({ entitled: true, reason: 'active' });
    expect(entitlement.currentPeriodEnd!.getTime()).toBeGreaterThan(periodEnd.getTime());
  });

  it('a row paused before the behaviour was stored keeps the old answer until `sync upgrade` re-reads it', async () => {
    await t.stripeChanges(subscriptionId, { pause_collection: { behavior: 'mark_uncollectible', resumes_at: t.fake.now() + 30 * DAY } });
    // As the LitestripePauseCollection migration leaves a row that was paused: the flag, no behaviour.
    await t.dataSource.query(`UPDATE litestripe_subscription SET pause_behavior = 'unknown', pause_resumes_at = NULL`);
    await t.dataSource.query(
      `INSERT INTO litestripe_subscription (id, account_ref, status, pause_behavior, livemode) VALUES ('sub_liveOnly', 'acct_live', 'active', 'unknown', true)`,
    );
    expect(await t.service.getEntitlement('acct_1')).toMatchObject({ entitled: false, reason: 'collection_paused' });

    t.fake.clearRequests();
    const sync = t.app.get(SubscriptionSyncService);
    const summary = await sync.upgradeRows();
    expect(summary).toMatchObject({ complete: true, updated: 1, failed: 0 });
    // Only this mode's rows: a live row cannot be read with a test key.
    expect(t.fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /v1/subscriptions/${subscriptionId}`]);
    expect(await t.row(subscriptionId)).toMatchObject({ pauseBehavior: 'mark_uncollectible', pauseResumesAt: new Date((t.fake.now() - 2 + 30 * DAY) * 1000) });
    expect(await t.service.getEntitlement('acct_1')).toMatchObject({ entitled: true, reason: 'active' });

    expect(await sync.upgradeRows()).toMatchObject({ complete: true, updated: 0, unchanged: 0, failed: 0 });
  });
});

describe('paused payment collection with denyPausedCollection', () => {
  let t: BillingHost;
  beforeAll(async () => {
    t = await startBillingHost({ options: { denyPausedCollection: true } });
  });
  afterAll(() => t.close());

  it('denies every pause until its resumes_at has passed', async () => {
    const subscriptionId = (await t.subscribe('acct_1', { price: t.prices.basic.id })).subscription!.id;
    const resumesAt = t.fake.now() + 7 * DAY;
    await t.stripeChanges(subscriptionId, { pause_collection: { behavior: 'keep_as_draft', resumes_at: resumesAt } });
    expect(await t.service.getEntitlement('acct_1')).toMatchObject({ entitled: false, reason: 'collection_paused' });
    t.clock.advance(resumesAt - t.clock.seconds() - 1);
    expect((await t.service.getEntitlement('acct_1')).reason).toBe('collection_paused');
    t.clock.advance(1);
    expect(await t.service.getEntitlement('acct_1')).toMatchObject({ entitled: true, reason: 'active' });
  });
});
