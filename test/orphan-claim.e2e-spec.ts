import { ConflictException, NotFoundException } from '@nestjs/common';
import type Stripe from 'stripe';
import { getStripeClientToken, LitestripeEvents, OrphanedPayment } from '@litestripe/nestjs';
import { BillingHost, startBillingHost } from './support/billing-host';

const DAY = 86_400;

describe('claiming orphaned payments', () => {
  let t: BillingHost;
  let stripe: Stripe;
  beforeAll(async () => {
    t = await startBillingHost({ options: { orphanEmailRetentionDays: 30, validateClientReference: (reference) => !reference.startsWith('acct_unknown') } });
    stripe = t.app.get(getStripeClientToken());
  });
  afterAll(() => t.close());
  beforeEach(() => t.reset());

  /** A payment made through a checkout that carried no account (e.g. a payment link): an orphan. */
  async function orphanedPayment(email: string): Promise<{ orphan: OrphanedPayment; subscriptionId: string }> {
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: t.prices.basic.id, quantity: 1 }],
      success_url: 'https://app.example/thanks',
      customer_email: email,
    });
    const completed = t.fake.completeCheckoutSession(session.id);
    await t.deliver(...completed.events);
    const orphan = await t.dataSource.getRepository(OrphanedPayment).findOneByOrFail({ checkoutSessionId: session.id });
    return { orphan, subscriptionId: completed.subscription!.id };
  }

  it('lists open orphans with the payer’s email, newest first', async () => {
    const first = await orphanedPayment('first@example.com');
    const second = await orphanedPayment('second@example.com');
    const open = await t.billing.listOrphanedPayments();
    expect(open.map((o) => [o.id, o.email, o.reason])).toEqual([
      [second.orphan.id, 'second@example.com', 'missing_reference'],
      [first.orphan.id, 'first@example.com', 'missing_reference'],
    ]);
  });

  it('links the subscription to the account, in Stripe’s metadata too, resolves the orphan and emits an event', async () => {
    const { orphan, subscriptionId } = await orphanedPayment('payer@example.com');
    expect(await t.service.isEntitled('acct_found')).toBe(false);
    t.recorder.clear();

    const claim = await t.billing.claimOrphanedPayment(orphan.id, 'acct_found');
    expect(claim.alreadyClaimed).toBe(false);
    expect(claim.subscription).toMatchObject({ id: subscriptionId, accountRef: 'acct_found' });
    expect(claim.orphan.resolvedAt).toBeInstanceOf(Date);
    expect(t.fake.subscriptions.get(subscriptionId)?.metadata).toMatchObject({ client_reference_id: 'acct_found' });
    expect(await t.service.getEntitlement('acct_found')).toMatchObject({ entitled: true, plan: 'basic' });
    expect(t.recorder.names()).toEqual([LitestripeEvents.SubscriptionUpdated, LitestripeEvents.SubscriptionActivated, LitestripeEvents.OrphanClaimed]);
    expect(t.recorder.events.at(-1)?.payload).toMatchObject({ orphanedPaymentId: orphan.id, subscriptionId, accountRef: 'acct_found', checkoutSessionId: orphan.checkoutSessionId });
    expect(await t.billing.listOrphanedPayments()).toEqual([]);
    // The portal now works for the account: the orphan's customer became its customer.
    await expect(t.billing.createBillingPortalSession('acct_found', 'https://app.example/account')).resolves.toMatchObject({ customer: claim.subscription.customerId });

    // Stripe's event for the metadata change, when it arrives, changes nothing more.
    t.recorder.clear();
    const metadataEvents = t.fake.events.all().filter((e: Stripe.Event) => e.type === 'customer.subscription.updated');
    await t.deliver(...metadataEvents);
    expect(t.recorder.names()).toEqual([]);
  });

  it('claiming twice for the same account changes nothing; for another account it is refused', async () => {
    const { orphan } = await orphanedPayment('payer@example.com');
    await t.billing.claimOrphanedPayment(orphan.id, 'acct_a');
    t.recorder.clear();
    t.fake.clearRequests();

    const again = await t.billing.claimOrphanedPayment(orphan.id, 'acct_a');
    expect(again).toMatchObject({ alreadyClaimed: true, subscription: { accountRef: 'acct_a' } });
    expect(t.fake.requests).toHaveLength(0);
    expect(t.recorder.names()).toEqual([]);

    const other = t.billing.claimOrphanedPayment(orphan.id, 'acct_b');
    await expect(other).rejects.toBeInstanceOf(ConflictException);
    await expect(t.billing.claimOrphanedPayment(orphan.id, 'acct_b')).rejects.toThrow(/already claimed by account acct_a/);
    expect(await t.service.isEntitled('acct_b')).toBe(false);
  });

  it('two claims of one orphan at once: one wins, the other is refused, Stripe and the row agree', async () => {
    const { orphan, subscriptionId } = await orphanedPayment('payer@example.com');
    const results = await Promise.allSettled([t.billing.claimOrphanedPayment(orphan.id, 'acct_x'), t.billing.claimOrphanedPayment(orphan.id, 'acct_y')]);
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')?.reason).toBeInstanceOf(ConflictException);
    const winner = (won[0] as PromiseFulfilledResult<{ subscription: { accountRef: string } }>).value.subscription.accountRef;
    expect((await t.row(subscriptionId))?.accountRef).toBe(winner);
    expect(t.fake.subscriptions.get(subscriptionId)?.metadata.client_reference_id).toBe(winner);
  });

  it('refuses a stale orphan whose subscription got linked to another account meanwhile', async () => {
    const { orphan, subscriptionId } = await orphanedPayment('payer@example.com');
    await t.stripeChanges(subscriptionId, { metadata: { client_reference_id: 'acct_meta' } });
    await expect(t.billing.claimOrphanedPayment(orphan.id, 'acct_support_guess')).rejects.toThrow(/already linked to account acct_meta; the orphan is stale/);
    const resolved = await t.billing.claimOrphanedPayment(orphan.id, 'acct_meta');
    expect(resolved.orphan.resolvedAt).not.toBeNull();
  });

  it('claims an orphan whose subscription has ended: linked for the record, not entitled', async () => {
    const { orphan, subscriptionId } = await orphanedPayment('payer@example.com');
    await t.stripeChanges(subscriptionId, { status: 'canceled' });
    const claim = await t.billing.claimOrphanedPayment(orphan.id, 'acct_late');
    expect(claim.subscription).toMatchObject({ accountRef: 'acct_late', status: 'canceled' });
    expect(await t.service.getEntitlement('acct_late')).toMatchObject({ entitled: false, reason: 'canceled' });
  });

  it('says what is wrong with the request', async () => {
    await expect(t.billing.claimOrphanedPayment(999_999, 'acct_1')).rejects.toBeInstanceOf(NotFoundException);
    const { orphan } = await orphanedPayment('payer@example.com');
    await expect(t.billing.claimOrphanedPayment(orphan.id, 'someone@example.com')).rejects.toThrow(/letters, digits/);
  });

  it('refuses an account the host’s validateClientReference rejects, changing nothing in Stripe or the tables', async () => {
    const { orphan, subscriptionId } = await orphanedPayment('payer@example.com');
    t.fake.clearRequests();
    await expect(t.billing.claimOrphanedPayment(orphan.id, 'acct_unknown_1')).rejects.toThrow(/validateClientReference rejected account acct_unknown_1/);
    expect(t.fake.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
    expect(t.fake.subscriptions.get(subscriptionId)!.metadata).not.toHaveProperty('client_reference_id');
    expect((await t.dataSource.getRepository(OrphanedPayment).findOneByOrFail({ id: orphan.id })).resolvedAt).toBeNull();
    expect(await t.service.isEntitled('acct_unknown_1')).toBe(false);
  });

  it('erases the email of resolved orphans after the retention; open ones keep it', async () => {
    const claimed = await orphanedPayment('claimed@example.com');
    const open = await orphanedPayment('open@example.com');
    await t.billing.claimOrphanedPayment(claimed.orphan.id, 'acct_r');
    const email = async (id: number) => (await t.dataSource.getRepository(OrphanedPayment).findOneByOrFail({ id })).email;

    t.clock.advance(29 * DAY);
    expect(await t.billing.eraseExpiredOrphanEmails()).toBe(0);
    expect(await email(claimed.orphan.id)).toBe('claimed@example.com');
    t.clock.advance(2 * DAY);
    expect(await t.billing.eraseExpiredOrphanEmails()).toBe(1);
    expect(await email(claimed.orphan.id)).toBeNull();
    expect(await email(open.orphan.id)).toBe('open@example.com');
    expect(await t.billing.eraseExpiredOrphanEmails()).toBe(0);
  });
});
