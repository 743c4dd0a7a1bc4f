import { BadRequestException, ConflictException, Controller, Get, Module, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type Stripe from 'stripe';
import { getStripeClientToken, LitestripeEvents, OrphanedPayment, RequiresSubscription } from '@litestripe/nestjs';
import { LogCapture } from './support/log-capture';
import { BillingHost, startBillingHost } from './support/billing-host';
import { Adapter } from './support/test-app';
import { HeaderAuthGuard } from './support/header-auth.guard';

@Controller('members')
class MembersController {
  @RequiresSubscription()
  @Get()
  index() {
    return { member: true };
  }
}

@Module({ controllers: [MembersController] })
class MembersModule {}

const MINUTE = 60;

describe.each<Adapter>(['express', 'fastify'])('trust boundaries of billing on %s', (adapter) => {
  let t: BillingHost;
  let stripe: Stripe;
  let tipJar: Stripe.Price;
  const contexts: unknown[] = [];
  beforeAll(async () => {
    t = await startBillingHost({
      adapter,
      isGlobal: true,
      imports: [MembersModule],
      providers: [{ provide: APP_GUARD, useClass: HeaderAuthGuard }],
      options: {
        validateClientReference: (reference, context) => {
          contexts.push({ reference, ...context });
          return !reference.startsWith('acct_unknown');
        },
      },
    });
    stripe = t.app.get(getStripeClientToken());
    tipJar = t.fake.seedPrice({ nickname: 'Tip jar', lookupKey: 'tip_jar', unitAmount: 50 });
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.reset();
    contexts.length = 0;
  });

  /** What anyone can do with a payment link: pay, naming any account (or none) as client_reference_id. */
  async function payThroughLink(price: Stripe.Price, clientReferenceId: string | null, email = 'payer@elsewhere.example') {
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: price.id, quantity: 1 }],
      success_url: 'https://app.example/thanks?session_id={CHECKOUT_SESSION_ID}',
      customer_email: email,
      ...(clientReferenceId ? { client_reference_id: clientReferenceId } : {}),
    });
    const completed = t.fake.completeCheckoutSession(session.id);
    await t.deliver(...completed.events);
    return { session, subscription: completed.subscription!, customer: completed.customer };
  }

  describe('customer links', () => {
    it('a payment link naming the victim does not make the victim’s checkout or billing portal open on the payer’s customer', async () => {
      const attack = await payThroughLink(t.prices.basic, 'acct_victim', 'attacker@evil.example');
      expect(await t.row(attack.subscription.id)).toMatchObject({ accountRef: 'acct_victim', customerId: attack.customer.id });

      await expect(t.billing.createBillingPortalSession('acct_victim', 'https://app.example/account')).rejects.toBeInstanceOf(NotFoundException);
      // The success page of the payer's session does not link the customer either.
      await t.billing.syncCheckoutSession(attack.session.id, { accountRef: 'acct_victim' });
      await expect(t.billing.createBillingPortalSession('acct_victim', 'https://app.example/account')).rejects.toBeInstanceOf(NotFoundException);

      const own = await t.billing.createCheckoutSession({ accountRef: 'acct_victim', plan: 'pro', successUrl: 'https://app.example/ok', cancelUrl: 'https://app.example/no' });
      expect(own.customer).not.toBe(attack.customer.id);
      expect(t.fake.customers.get(own.customer as string)?.metadata).toMatchObject({ client_reference_id: 'acct_victim' });
      await expect(t.billing.createBillingPortalSession('acct_victim', 'https://app.example/account')).resolves.toMatchObject({ customer: own.customer });
    });
  });

  describe('the price catalogue', () => {
    it('a subscription on a price no plan lists opens nothing, and is logged once with its price', async () => {
      const logs = new LogCapture().install();
      try {
        const tip = await payThroughLink(tipJar, 'acct_tipper');
        expect(await t.row(tip.subscription.id)).toMatchObject({ accountRef: 'acct_tipper', status: 'active', priceId: tipJar.id });
        expect(await t.service.getEntitlement('acct_tipper')).toMatchObject({ entitled: false, reason: 'unlisted_price', plan: null });
        await t.http().get('/members').set('x-user', 'acct_tipper').expect(403);
        await t.service.getEntitlement('acct_tipper');
        expect(logs.messages('warn').filter((m) => m.includes(tipJar.id))).toEqual([expect.stringMatching(/no configured plan lists: it does not entitle.*allowUnlistedPrices/)]);

        await t.subscribe('acct_member', { plan: 'basic' });
        await t.http().get('/members').set('x-user', 'acct_member').expect(200);
      } finally {
        logs.uninstall();
      }
    });

    it('checkout refuses a price no plan lists before any call to Stripe', async () => {
      t.fake.clearRequests();
      const request = { accountRef: 'acct_buyer', successUrl: 'https://app.example/ok', cancelUrl: 'https://app.example/no' };
      const refused = t.billing.createCheckoutSession({ ...request, price: tipJar.id });
      await expect(refused).rejects.toBeInstanceOf(BadRequestException);
      await expect(t.billing.createCheckoutSession({ ...request, price: tipJar.id })).rejects.toThrow(/in no configured plan .*allowUnlistedPrices: true/);
      expect(t.fake.requests).toEqual([]);
      // A lookup key no plan lists is resolved (a read), then refused before a customer or session is made.
      await expect(t.billing.createCheckoutSession({ ...request, lookupKey: 'tip_jar' })).rejects.toThrow(/Lookup key "tip_jar" \(price price_\w+\) is in no configured plan/);
      expect(t.fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/prices']);
      // Catalogue prices still sell: by plan, by a listed price id, by the lookup key of a listed price.
      await expect(t.billing.createCheckoutSession({ ...request, price: t.prices.proMonthly.id })).resolves.toMatchObject({ mode: 'subscription' });
      await expect(t.billing.createCheckoutSession({ ...request, lookupKey: 'enterprise_monthly' })).resolves.toMatchObject({ mode: 'subscription' });
    });
  });

  describe('relinking', () => {
    it('moves a subscription on purpose: deactivated for the old account, activated for the new one, and Stripe’s metadata follows', async () => {
      const { subscription } = await t.subscribe('acct_old', { plan: 'basic' });
      t.recorder.clear();
      const relinked = await t.billing.relinkSubscription(subscription!.id, 'acct_new');
      expect(relinked).toMatchObject({ previousAccountRef: 'acct_old', subscription: { id: subscription!.id, accountRef: 'acct_new', linkPendingRef: null } });
      expect(t.recorder.names()).toEqual([LitestripeEvents.SubscriptionUpdated, LitestripeEvents.SubscriptionDeactivated, LitestripeEvents.SubscriptionActivated]);
      for (const event of t.recorder.events) expect(event.payload).toMatchObject({ previousAccountRef: 'acct_old', subscription: { accountRef: 'acct_new' } });
      expect(t.fake.subscriptions.get(subscription!.id)?.metadata).toMatchObject({ client_reference_id: 'acct_new' });
      expect(contexts).toContainEqual(expect.objectContaining({ reference: 'acct_new', source: 'relink', subscriptionId: subscription!.id, currentAccountRef: 'acct_old' }));
      expect(await t.service.isEntitled('acct_new')).toBe(true);
      expect(await t.service.isEntitled('acct_old')).toBe(false);

      // Stripe's event for the metadata change finds nothing to move and no conflict.
      t.recorder.clear();
      await t.deliver(...t.fake.events.all().filter((e: Stripe.Event) => e.type === 'customer.subscription.updated'));
      expect(t.recorder.names()).toEqual([]);
    });

    it('settles a link conflict: the conflicting account only gets access through a relink, which resolves an open orphan too', async () => {
      const { subscription } = await payThroughLink(t.prices.basic, null);
      const orphan = await t.dataSource.getRepository(OrphanedPayment).findOneByOrFail({ subscriptionId: subscription.id });
      await t.billing.relinkSubscription(subscription.id, 'acct_found');
      expect(await t.dataSource.getRepository(OrphanedPayment).findOneByOrFail({ id: orphan.id })).toMatchObject({ resolvedAt: expect.any(Date) });
      expect(await t.billing.listOrphanedPayments()).toEqual([]);
      // An explicit move links the subscription's customer to the account, so its portal opens.
      await expect(t.billing.createBillingPortalSession('acct_found', 'https://app.example/account')).resolves.toMatchObject({ customer: subscription.customer });
    });

    it('is refused for an account the host rejects, for a malformed one, and for an unknown subscription, without calling Stripe', async () => {
      const { subscription } = await t.subscribe('acct_keep', { plan: 'basic' });
      t.fake.clearRequests();
      await expect(t.billing.relinkSubscription(subscription!.id, 'acct_unknown_1')).rejects.toBeInstanceOf(UnprocessableEntityException);
      await expect(t.billing.relinkSubscription(subscription!.id, 'not an account')).rejects.toBeInstanceOf(BadRequestException);
      await expect(t.billing.relinkSubscription('sub_nothere', 'acct_x')).rejects.toBeInstanceOf(NotFoundException);
      await expect(t.billing.relinkSubscription('cus_123', 'acct_x')).rejects.toBeInstanceOf(BadRequestException);
      expect(t.fake.requests).toEqual([]);
      expect(await t.row(subscription!.id)).toMatchObject({ accountRef: 'acct_keep', linkPendingRef: null });
    });
  });

  describe('the claim protocol', () => {
    async function orphan() {
      const paid = await payThroughLink(t.prices.basic, null);
      const found = await t.dataSource.getRepository(OrphanedPayment).findOneByOrFail({ subscriptionId: paid.subscription.id });
      return { orphanId: found.id, subscriptionId: paid.subscription.id };
    }
    const holdUpdate = (subscriptionId: string) => t.fake.holdNext({ match: { method: 'POST', path: `/v1/subscriptions/${subscriptionId}` } });
    async function within<T>(promise: Promise<T>, ms = 3000): Promise<T> {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms: a row lock is held`)), ms)));
      try {
        return await Promise.race([promise, late]);
      } finally {
        clearTimeout(timer);
      }
    }

    it('holds no row lock while Stripe answers: a webhook for the subscription is applied meanwhile', async () => {
      const { orphanId, subscriptionId } = await orphan();
      const held = holdUpdate(subscriptionId);
      const claim = t.billing.claimOrphanedPayment(orphanId, 'acct_claimer');
      await held.arrived;
      expect(await t.row(subscriptionId)).toMatchObject({ linkPendingRef: 'acct_claimer', accountRef: null });
      await within(t.stripeChanges(subscriptionId, { cancel_at_period_end: true }));
      expect(await t.row(subscriptionId)).toMatchObject({ cancelAtPeriodEnd: true });
      held.release();
      await expect(claim).resolves.toMatchObject({ alreadyClaimed: false, subscription: { accountRef: 'acct_claimer', cancelAtPeriodEnd: true, linkPendingRef: null } });
    });

    it('never overwrites a link a webhook made meanwhile: the claim is refused and the orphan stays open', async () => {
      const { orphanId, subscriptionId } = await orphan();
      const held = holdUpdate(subscriptionId);
      const claim = t.billing.claimOrphanedPayment(orphanId, 'acct_late');
      claim.catch(() => undefined);
      await held.arrived;
      await t.stripeChanges(subscriptionId, { metadata: { client_reference_id: 'acct_first' } });
      held.release();
      await expect(claim).rejects.toBeInstanceOf(ConflictException);
      await expect(claim).rejects.toThrow(/already linked to account acct_first/);
      expect(await t.row(subscriptionId)).toMatchObject({ accountRef: 'acct_first', linkPendingRef: null });
      expect(await t.dataSource.getRepository(OrphanedPayment).findOneByOrFail({ id: orphanId })).toMatchObject({ resolvedAt: null });
    });

    it('never overwrites a link a webhook made meanwhile, for a relink either', async () => {
      const { subscriptionId } = await orphan();
      const held = holdUpdate(subscriptionId);
      const relink = t.billing.relinkSubscription(subscriptionId, 'acct_b');
      relink.catch(() => undefined);
      await held.arrived;
      await t.stripeChanges(subscriptionId, { metadata: { client_reference_id: 'acct_c' } });
      held.release();
      await expect(relink).rejects.toThrow(/changed while it was being moved to acct_b \(it is now acct_c\)/);
      expect(await t.row(subscriptionId)).toMatchObject({ accountRef: 'acct_c', linkPendingRef: null });
    });

    it('refuses a second claim for another account while one is under way, without calling Stripe', async () => {
      const { orphanId, subscriptionId } = await orphan();
      const held = holdUpdate(subscriptionId);
      const first = t.billing.claimOrphanedPayment(orphanId, 'acct_one');
      await held.arrived;
      const requests = t.fake.requests.length;
      await expect(t.billing.claimOrphanedPayment(orphanId, 'acct_two')).rejects.toThrow(/is being moved to account acct_one/);
      await expect(t.billing.relinkSubscription(subscriptionId, 'acct_two')).rejects.toBeInstanceOf(ConflictException);
      expect(t.fake.requests.length).toBe(requests);
      held.release();
      await expect(first).resolves.toMatchObject({ subscription: { accountRef: 'acct_one' } });
      // The same claim again, once done, is answered from the database.
      await expect(t.billing.claimOrphanedPayment(orphanId, 'acct_one')).resolves.toMatchObject({ alreadyClaimed: true });
    });

    it('lets a claim that never finished (a crash between its steps) expire after ten minutes of the module clock', async () => {
      const { orphanId, subscriptionId } = await orphan();
      await t.dataSource.query('UPDATE litestripe_subscription SET "link_pending_ref" = $2, "link_pending_at" = $3 WHERE "id" = $1', [subscriptionId, 'acct_crashed', t.clock.now()]);
      t.clock.advance(10 * MINUTE - 1);
      await expect(t.billing.claimOrphanedPayment(orphanId, 'acct_next')).rejects.toThrow(/being moved to account acct_crashed/);
      t.clock.advance(1);
      await expect(t.billing.claimOrphanedPayment(orphanId, 'acct_next')).resolves.toMatchObject({ subscription: { accountRef: 'acct_next', linkPendingRef: null } });
    });

    it('frees the pending link when Stripe refuses, so the claim can be retried', async () => {
      const { orphanId, subscriptionId } = await orphan();
      t.fake.failNext(1, { status: 500, shouldRetry: false, match: { method: 'POST', path: `/v1/subscriptions/${subscriptionId}` } });
      await expect(t.billing.claimOrphanedPayment(orphanId, 'acct_retry')).rejects.toThrow();
      expect(await t.row(subscriptionId)).toMatchObject({ accountRef: null, linkPendingRef: null });
      await expect(t.billing.claimOrphanedPayment(orphanId, 'acct_retry')).resolves.toMatchObject({ subscription: { accountRef: 'acct_retry' } });
    });
  });

  it('finds an orphan by an email-like reference it keeps only hashed', async () => {
    const { subscription } = await payThroughLink(t.prices.basic, 'someone@example.com');
    const [found] = await t.billing.listOrphanedPayments({ rejectedReference: 'Someone@Example.com ' });
    expect(found).toMatchObject({ subscriptionId: subscription.id, reason: 'invalid_reference', rejectedReference: expect.stringMatching(/^hmac-sha256:/) });
    expect(await t.billing.listOrphanedPayments({ rejectedReference: 'other@example.com' })).toEqual([]);
  });
});

describe('allowUnlistedPrices', () => {
  let t: BillingHost;
  beforeAll(async () => {
    t = await startBillingHost({ options: { allowUnlistedPrices: true } });
  });
  afterAll(() => t.close());

  it('restores the old rule: a price no plan lists entitles with no plan, and checkout sells it', async () => {
    const tipJar = t.fake.seedPrice({ nickname: 'Tip jar', lookupKey: 'tip_jar_allowed', unitAmount: 50 });
    await t.subscribe('acct_tipper', { price: tipJar.id });
    expect(await t.service.getEntitlement('acct_tipper')).toMatchObject({ entitled: true, reason: 'active', plan: null, features: [] });
  });
});
