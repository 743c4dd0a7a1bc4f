import { BadRequestException, ConflictException, NotFoundException } from '@nestjs/common';
import type Stripe from 'stripe';
import { LitestripeEvents } from '@litestripe/nestjs';
import { BillingHost, startBillingHost } from './support/billing-host';

describe('cancel, resume, change plan and quantity: Stripe first, the local row at once', () => {
  let t: BillingHost;
  let subscriptionId: string;
  beforeAll(async () => {
    t = await startBillingHost();
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.reset();
    subscriptionId = (await t.subscribe('acct_1', { price: t.prices.basic.id })).subscription!.id;
    t.recorder.clear();
    t.fake.clearRequests();
  });

  /** The events Stripe emitted since the last call, delivered to the webhook: the confirmation. */
  async function confirmByWebhook(): Promise<string[]> {
    const delivered = new Set((await t.dataSource.query('SELECT id FROM litestripe_event')).map((r: { id: string }) => r.id));
    const pending = t.fake.events.all().filter((e: Stripe.Event) => !delivered.has(e.id)).sort((a: Stripe.Event, b: Stripe.Event) => a.created - b.created);
    t.recorder.clear();
    await t.deliver(...pending);
    return t.recorder.names();
  }

  it('cancels at period end: the account keeps access until then, and sees the change on its next request', async () => {
    const row = await t.billing.cancel('acct_1');
    expect(row).toMatchObject({ id: subscriptionId, status: 'active', cancelAtPeriodEnd: true });
    expect(await t.service.getEntitlement('acct_1')).toMatchObject({ entitled: true, reason: 'canceling', endsAt: row.currentPeriodEnd });
    expect(t.recorder.names()).toEqual([LitestripeEvents.SubscriptionUpdated, LitestripeEvents.SubscriptionCanceled]);
    const [update] = t.fake.requests.filter((r) => r.method === 'POST');
    expect(update).toMatchObject({ path: `/v1/subscriptions/${subscriptionId}`, params: { cancel_at_period_end: 'true' } });
    expect(update.idempotencyKey).toMatch(new RegExp(`^litestripe-cancel-${subscriptionId}-`));

    expect(await confirmByWebhook()).toEqual([]);
    expect(await t.row(subscriptionId)).toMatchObject({ cancelAtPeriodEnd: true });
  });

  it('a double click cancels once: the same idempotency key, and Stripe replays its answer', async () => {
    await Promise.all([t.billing.cancel('acct_1'), t.billing.cancel('acct_1')]);
    const updates = t.fake.requests.filter((r) => r.method === 'POST');
    expect(new Set(updates.map((r) => r.idempotencyKey)).size).toBe(1);
    expect(updates.filter((r) => !r.replayed)).toHaveLength(1);
    expect(t.fake.events.all().filter((e: Stripe.Event) => e.type === 'customer.subscription.updated')).toHaveLength(1);
  });

  it('resumes a scheduled cancellation, and can cancel again (a new key, since the state moved on)', async () => {
    await t.billing.cancel('acct_1');
    const resumed = await t.billing.resume('acct_1');
    expect(resumed).toMatchObject({ cancelAtPeriodEnd: false, cancelAt: null });
    expect(await t.service.getEntitlement('acct_1')).toMatchObject({ entitled: true, reason: 'active' });
    const again = await t.billing.cancel('acct_1');
    expect(again.cancelAtPeriodEnd).toBe(true);
    const keys = t.fake.requests.filter((r) => r.method === 'POST').map((r) => r.idempotencyKey);
    expect(new Set(keys).size).toBe(3);
    expect(t.fake.subscriptions.get(subscriptionId)?.cancel_at_period_end).toBe(true);
  });

  it('cancels at once: access ends now; the deleted webhook then changes nothing', async () => {
    const row = await t.billing.cancel({ subscriptionId }, { atPeriodEnd: false });
    expect(row).toMatchObject({ status: 'canceled' });
    expect(row.endedAt).not.toBeNull();
    expect(await t.service.getEntitlement('acct_1')).toMatchObject({ entitled: false, reason: 'canceled' });
    expect(t.recorder.names()).toEqual([LitestripeEvents.SubscriptionUpdated, LitestripeEvents.SubscriptionDeactivated, LitestripeEvents.SubscriptionDeleted]);
    expect(await confirmByWebhook()).toEqual([]);
    // Canceling an ended subscription again changes nothing and calls nothing.
    t.fake.clearRequests();
    await expect(t.billing.cancel({ subscriptionId }, { atPeriodEnd: false })).resolves.toMatchObject({ status: 'canceled' });
    expect(t.fake.requests).toHaveLength(0);
    await expect(t.billing.resume({ subscriptionId })).rejects.toBeInstanceOf(ConflictException);
  });

  it('resumes a paused collection, which keeps access as Stripe advises', async () => {
    await t.stripeChanges(subscriptionId, { pause_collection: { behavior: 'keep_as_draft', resumes_at: null } });
    expect(await t.service.getEntitlement('acct_1')).toMatchObject({ entitled: true, reason: 'active', subscription: { pauseBehavior: 'keep_as_draft' } });
    const resumed = await t.billing.resume('acct_1');
    expect(resumed).toMatchObject({ pauseBehavior: null, pauseResumesAt: null });
    expect(t.fake.requests.find((r) => r.method === 'POST')?.params).toEqual({ pause_collection: '' });
    expect((await t.service.getEntitlement('acct_1')).entitled).toBe(true);
  });

  it('resumes a paused subscription through Stripe’s resume endpoint', async () => {
    await t.stripeChanges(subscriptionId, { status: 'paused' });
    expect((await t.service.getEntitlement('acct_1')).reason).toBe('paused');
    const resumed = await t.billing.resume('acct_1');
    expect(resumed.status).toBe('active');
    expect(t.fake.requests.filter((r) => r.method === 'POST').map((r) => r.path)).toEqual([`/v1/subscriptions/${subscriptionId}/resume`]);
    expect(t.recorder.names()).toEqual(expect.arrayContaining([LitestripeEvents.SubscriptionResumed, LitestripeEvents.SubscriptionActivated]));
  });

  it('changes plan to the price of the same interval, and the features follow at once', async () => {
    expect(await t.service.isEntitled('acct_1', { feature: 'export' })).toBe(false);
    const row = await t.billing.changePlan('acct_1', 'pro');
    expect(row.priceId).toBe(t.prices.proMonthly.id); // monthly like basic, though pro lists its yearly price first
    const update = t.fake.requests.find((r) => r.method === 'POST')!;
    expect(update.params).toMatchObject({ proration_behavior: 'create_prorations', items: [{ price: t.prices.proMonthly.id }] });
    expect(update.idempotencyKey).toMatch(/^litestripe-change-plan-/);
    expect(await t.service.getEntitlement('acct_1')).toMatchObject({ plan: 'pro', limits: { projects: 50, seats: 10 } });
    expect(await t.service.isEntitled('acct_1', { feature: 'export' })).toBe(true);

    const enterprise = await t.billing.changePlan('acct_1', 'enterprise', { proration: 'none' });
    expect(enterprise).toMatchObject({ priceId: t.prices.enterprise.id, lookupKey: 'enterprise_monthly' });
    expect(await t.service.isEntitled('acct_1', { plan: 'enterprise', feature: 'sso' })).toBe(true);
    expect(await confirmByWebhook()).toEqual([]);
  });

  it('changes to an explicit price of the plan, and refuses one that is not', async () => {
    expect((await t.billing.changePlan('acct_1', 'pro', { price: 'pro_yearly' })).priceId).toBe(t.prices.proYearly.id);
    await expect(t.billing.changePlan('acct_1', 'pro', { price: t.prices.basic.id })).rejects.toBeInstanceOf(BadRequestException);
    await expect(t.billing.changePlan('acct_1', 'gold')).rejects.toThrow(/Unknown plan "gold"/);
  });

  it('keeps the seats when the plan changes (Stripe would set a changed price’s quantity to 1)', async () => {
    await t.billing.setQuantity('acct_1', 4);
    const row = await t.billing.changePlan('acct_1', 'pro');
    expect(row).toMatchObject({ priceId: t.prices.proMonthly.id, quantity: 4 });
    expect(t.fake.subscriptions.get(subscriptionId)?.items.data[0].quantity).toBe(4);
  });

  it('sets the quantity of a per-seat subscription', async () => {
    const row = await t.billing.setQuantity('acct_1', 7);
    expect(row.quantity).toBe(7);
    expect(t.fake.subscriptions.get(subscriptionId)?.items.data[0].quantity).toBe(7);
    expect((await t.service.getEntitlement('acct_1')).quantity).toBe(7);
    await expect(t.billing.setQuantity('acct_1', 0)).rejects.toBeInstanceOf(BadRequestException);
    await expect(t.billing.setQuantity('acct_1', 2.5)).rejects.toBeInstanceOf(BadRequestException);
  });

  it('says what is missing when there is nothing to act on', async () => {
    await expect(t.billing.cancel('acct_nobody')).rejects.toBeInstanceOf(NotFoundException);
    await expect(t.billing.cancel({ subscriptionId: 'sub_unknown' })).rejects.toThrow(/not known here/);
    await expect(t.billing.cancel('not an account!')).rejects.toBeInstanceOf(BadRequestException);
  });
});
