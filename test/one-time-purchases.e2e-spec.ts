import { Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import request from 'supertest';
import Stripe from 'stripe';
import { CreditBalance, LitestripeEvents, OneTimePurchase, RequiresPlan, UsageLimit, UsageService } from '@litestripe/nestjs';
import { signedDelivery } from '@litestripe/nestjs/testing';
import { BillingHost, plansFor, startBillingHost } from './support/billing-host';
import { HeaderAuthGuard } from './support/header-auth.guard';
import { Adapter, WEBHOOK_SECRET } from './support/test-app';

@Controller()
class ShopController {
  @RequiresPlan('pro')
  @Get('pro')
  pro() {
    return { pro: true };
  }

  @UsageLimit('exports')
  @Post('export')
  @HttpCode(200)
  export() {
    return { exported: true };
  }
}

@Module({ controllers: [ShopController] })
class ShopModule {}

const SUCCESS = { successUrl: 'https://app.example/thanks?session_id={CHECKOUT_SESSION_ID}', cancelUrl: 'https://app.example/shop' };

describe.each<Adapter>(['express', 'fastify'])('one-time purchases on %s', (adapter) => {
  let t: BillingHost;
  let usage: UsageService;
  /** Prices sold once: the pro plan for good, a pack of 100 exports, and a T-shirt the module does not sell. */
  let lifetime: Stripe.Price;
  let pack: Stripe.Price;
  let tshirt: Stripe.Price;

  beforeAll(async () => {
    t = await startBillingHost({
      adapter,
      isGlobal: true,
      imports: [ShopModule],
      providers: [{ provide: APP_GUARD, useClass: HeaderAuthGuard }],
      configure: (fake, prices) => {
        lifetime = fake.seedPrice({ interval: null, unitAmount: 19_900, nickname: 'Pro for life' });
        pack = fake.seedPrice({ interval: null, unitAmount: 1_000, nickname: '100 exports' });
        tshirt = fake.seedPrice({ interval: null, unitAmount: 2_500, nickname: 'T-shirt' });
        const plans = plansFor(prices)!;
        return {
          plans: { ...plans, pro: { ...plans.pro, lifetimePrices: { test: lifetime.id }, limits: { ...plans.pro.limits, exports: 20 } } },
          creditPacks: { exports_100: { name: '100 exports', prices: { test: pack.id }, credits: { exports: 100 } } },
          usage: { freeLimits: { exports: 2 } },
          // The host refuses accounts whose reference starts with "banned".
          validateClientReference: (reference) => !reference.startsWith('banned'),
        };
      },
    });
    usage = t.app.get(UsageService);
  }, 30_000);
  afterAll(() => t.close());
  beforeEach(() => t.reset());

  /** A purchase through the module, paid on the fake Stripe; Stripe's events delivered unless told otherwise. */
  const buy = async (accountRef: string, choice: { lifetimePlan?: string; creditPack?: string; quantity?: number }, options: { deliver?: boolean; delayedPayment?: boolean } = {}) => {
    const session = await t.billing.createPurchaseSession({ accountRef, ...choice, ...SUCCESS });
    const completed = t.fake.completeCheckoutSession(session.id, { delayedPayment: options.delayedPayment });
    if (options.deliver ?? true) await t.deliver(...completed.events);
    return completed;
  };
  const purchases = () => t.dataSource.getRepository(OneTimePurchase).find({ order: { createdAt: 'ASC' } });
  const balance = async (accountRef: string) => (await t.dataSource.getRepository(CreditBalance).findOneBy({ subject: `account:${accountRef}`, metric: 'exports' }))?.balance ?? 0;
  const exportAs = (user: string) => t.http().post('/export').set('x-user', user);
  const outcomeOf = async (event: Stripe.Event) => {
    const { body, headers } = await signedDelivery(event, WEBHOOK_SECRET, t.clock.seconds());
    const response = await request(t.app.getHttpServer()).post(t.webhookUrl).set(headers).send(body).expect(200);
    return response.body.outcome as string;
  };
  const eventsNamed = (name: string) => t.recorder.events.filter((e) => e.name === name).map((e) => e.payload);

  describe('a lifetime plan', () => {
    it('entitles for good once paid, through checkout in payment mode, and says so once', async () => {
      const { session, events } = await buy('u_life', { lifetimePlan: 'pro' });
      expect(session.mode).toBe('payment');
      const entitlement = await t.service.getEntitlement('u_life');
      expect(entitlement).toMatchObject({ entitled: true, reason: 'lifetime', plan: 'pro', plans: ['pro'], lifetimePlans: ['pro'], subscription: null, until: null });
      expect(entitlement.features).toEqual(expect.arrayContaining(['export', 'advanced_analytics']));
      await t.http().get('/pro').set('x-user', 'u_life').expect(200, { pro: true });
      t.clock.advance(10 * 365 * 86_400);
      expect((await t.service.getEntitlement('u_life')).entitled).toBe(true);

      const completedEvent = events.find((e) => e.type === 'checkout.session.completed')!;
      expect(await outcomeOf(completedEvent)).toBe('duplicate');
      const completed = eventsNamed(LitestripeEvents.PurchaseCompleted);
      expect(completed).toHaveLength(1);
      expect(completed[0]).toMatchObject({ accountRef: 'u_life', checkoutSessionId: session.id, grant: { lifetimePlans: ['pro'], credits: {} }, amount: 19_900, currency: 'usd' });
    });

    it('is granted by the success page before the webhook, which then changes nothing', async () => {
      const { session, events } = await buy('u_page', { lifetimePlan: 'pro' }, { deliver: false });
      const synced = await t.billing.syncCheckoutSession(session.id, { accountRef: 'u_page' });
      expect(synced).toMatchObject({ status: 'complete', subscription: null, accountRef: 'u_page', purchase: { paymentStatus: 'paid', lifetimePlans: ['pro'] } });
      expect((await t.service.getEntitlement('u_page')).plans).toEqual(['pro']);
      await t.deliver(...events);
      expect(eventsNamed(LitestripeEvents.PurchaseCompleted)).toHaveLength(1);
      await expect(t.billing.syncCheckoutSession(session.id, { accountRef: 'someone_else' })).rejects.toMatchObject({ status: 403 });
    });

    it('is taken back by a full refund or a lost dispute, not by a partial refund', async () => {
      const { paymentIntent } = await buy('u_refund', { lifetimePlan: 'pro' });
      t.fake.advanceClock(60);
      await t.deliver(...t.fake.refund(paymentIntent!.id, { amount: 5_000 }).events);
      expect((await t.service.getEntitlement('u_refund')).lifetimePlans).toEqual(['pro']);
      await t.deliver(...t.fake.refund(paymentIntent!.id).events);
      expect(await t.service.getEntitlement('u_refund')).toMatchObject({ entitled: false, reason: 'no_subscription', plans: [] });
      await t.http().get('/pro').set('x-user', 'u_refund').expect(403);
      expect(eventsNamed(LitestripeEvents.PurchaseRevoked)).toEqual([expect.objectContaining({ reason: 'refund', accountRef: 'u_refund', revoked: { lifetimePlans: ['pro'], credits: {} }, amountRefunded: 19_900 })]);

      const disputed = await buy('u_dispute', { lifetimePlan: 'pro' });
      const opened = t.fake.openDispute(disputed.paymentIntent!.id);
      await t.deliver(...opened.events);
      expect((await t.service.getEntitlement('u_dispute')).entitled).toBe(true);
      await t.deliver(...t.fake.closeDispute(opened.result.id, 'lost').events);
      expect((await t.service.getEntitlement('u_dispute')).entitled).toBe(false);
      expect(eventsNamed(LitestripeEvents.PurchaseRevoked).at(-1)).toMatchObject({ reason: 'dispute_lost', accountRef: 'u_dispute' });
    });

    it('survives a dispute the seller wins', async () => {
      const { paymentIntent } = await buy('u_won', { lifetimePlan: 'pro' });
      const opened = t.fake.openDispute(paymentIntent!.id);
      await t.deliver(...opened.events, ...t.fake.closeDispute(opened.result.id, 'won').events);
      expect((await t.service.getEntitlement('u_won')).lifetimePlans).toEqual(['pro']);
      expect(eventsNamed(LitestripeEvents.PurchaseRevoked)).toEqual([]);
    });
  });

  describe('a credit pack', () => {
    it('adds credits that @UsageLimit() spends once the period allowance is used up', async () => {
      await buy('u_credits', { creditPack: 'exports_100', quantity: 2 });
      expect(await usage.check('u_credits', 'exports')).toMatchObject({ source: 'free', limit: 2, used: 0, credits: 200, remaining: 202, overLimit: false });
      for (let i = 0; i < 2; i++) await exportAs('u_credits').expect(200);
      expect(await balance('u_credits')).toBe(200);
      const fromCredits = await exportAs('u_credits').expect(200);
      expect(fromCredits.headers['x-ratelimit-remaining-exports']).toBe('199');
      expect(await usage.check('u_credits', 'exports')).toMatchObject({ used: 2, credits: 199, remaining: 199 });
      const consumption = await usage.consume('u_credits', 'exports', { cost: 9 });
      expect(consumption).toMatchObject({ granted: true, paidWith: 'credits' });
      await consumption.release();
      await consumption.release();
      expect(await balance('u_credits')).toBe(199);
    });

    it('lets an account without any allowance spend credits, and refuses once they run out', async () => {
      await buy('u_small', { creditPack: 'exports_100' });
      await t.dataSource.query(`UPDATE litestripe_credit_balance SET balance = 1`);
      for (let i = 0; i < 2; i++) await exportAs('u_small').expect(200);
      await exportAs('u_small').expect(200);
      const refused = await exportAs('u_small').expect(429);
      expect(refused.body).toMatchObject({ reason: 'usage_limit', metric: 'exports', limit: 2, used: 2 });
      expect(await balance('u_small')).toBe(0);
    });

    it('loses credits in proportion to a partial refund, never below zero, and all of them with a full refund', async () => {
      const { paymentIntent } = await buy('u_partial', { creditPack: 'exports_100', quantity: 2 });
      await usage.consume('u_partial', 'exports', { cost: 2 });
      for (let i = 0; i < 30; i++) await usage.consume('u_partial', 'exports');
      expect(await balance('u_partial')).toBe(170);
      await t.deliver(...t.fake.refund(paymentIntent!.id, { amount: 1_000 }).events);
      expect(await balance('u_partial')).toBe(70);
      await t.deliver(...t.fake.refund(paymentIntent!.id).events);
      expect(await balance('u_partial')).toBe(0);
      expect(eventsNamed(LitestripeEvents.PurchaseRevoked).map((e) => [e.reason, e.revoked.credits, e.amountRefunded])).toEqual([
        ['partial_refund', { exports: 100 }, 1_000],
        ['refund', { exports: 100 }, 2_000],
      ]);
      const [purchase] = await purchases();
      expect(purchase).toMatchObject({ amountRefunded: 2_000, creditsRevoked: { exports: 200 } });
    });

    it('rounds a partial refund in the buyer’s favour', async () => {
      const { paymentIntent } = await buy('u_round', { creditPack: 'exports_100', quantity: 3 });
      await t.deliver(...t.fake.refund(paymentIntent!.id, { amount: 1_000 }).events);
      expect(await balance('u_round')).toBe(300 - Math.floor((300 * 1_000) / 3_000));
    });
  });

  describe('events in any order', () => {
    it('reaches the same state when the refund arrives before the checkout, and when a redelivery repeats it', async () => {
      const { paymentIntent, events } = await buy('u_late', { creditPack: 'exports_100', quantity: 2 }, { deliver: false });
      const refund = t.fake.refund(paymentIntent!.id, { amount: 500 }).events;
      await t.deliver(...refund);
      expect(await balance('u_late')).toBe(0);
      expect(await purchases()).toEqual([expect.objectContaining({ paymentRef: paymentIntent!.id, checkoutSessionId: null, amountRefunded: 500 })]);
      await t.deliver(...events);
      expect(await balance('u_late')).toBe(150);
      await t.deliver(...refund.map((e) => ({ ...e, id: `${e.id}_redelivered` })));
      expect(await balance('u_late')).toBe(150);
      // The purchase is reported whole, then what the refund that came first took back.
      expect(eventsNamed(LitestripeEvents.PurchaseCompleted)[0].grant).toEqual({ lifetimePlans: [], credits: { exports: 200 } });
      expect(eventsNamed(LitestripeEvents.PurchaseRevoked)).toEqual([expect.objectContaining({ reason: 'partial_refund', revoked: { lifetimePlans: [], credits: { exports: 50 } } })]);
    });

    it('grants a delayed payment when it settles, whichever of its events arrives first, and nothing when it fails', async () => {
      const { session, events } = await buy('u_sepa', { creditPack: 'exports_100' }, { deliver: false, delayedPayment: true });
      const settled = t.fake.settleDelayedPayment(session.id).events;
      await t.deliver(...settled);
      expect(await balance('u_sepa')).toBe(100);
      await t.deliver(...events);
      expect((await purchases())[0].paymentStatus).toBe('paid');
      expect(await balance('u_sepa')).toBe(100);

      const failing = await buy('u_bounce', { lifetimePlan: 'pro' }, { delayedPayment: true });
      expect((await t.billing.listPurchases({ accountRef: 'u_bounce' }))[0].paymentStatus).toBe('pending');
      expect((await t.service.getEntitlement('u_bounce')).entitled).toBe(false);
      await t.deliver(...t.fake.settleDelayedPayment(failing.session.id, { succeed: false }).events);
      expect((await t.service.getEntitlement('u_bounce')).entitled).toBe(false);
      expect(eventsNamed(LitestripeEvents.PurchaseFailed)).toEqual([expect.objectContaining({ accountRef: 'u_bounce', grant: { lifetimePlans: ['pro'], credits: {} } })]);
    });
  });

  describe('trust', () => {
    const paymentLink = async (lines: { price: string; quantity: number }[], reference?: string) => {
      const stripe = new Stripe(t.fake.secretKey, t.fake.clientConfig());
      const session = await stripe.checkout.sessions.create({ mode: 'payment', line_items: lines, ...(reference ? { client_reference_id: reference } : {}), success_url: SUCCESS.successUrl });
      const completed = t.fake.completeCheckoutSession(session.id);
      await t.deliver(...completed.events);
      return completed;
    };

    it('grants only what the catalogue sells once, read from the line items, not from metadata', async () => {
      await paymentLink([{ price: tshirt.id, quantity: 1 }], 'u_shirt');
      expect(await purchases()).toEqual([]);
      const metadataForged = await t.fake.completeCheckoutSession(
        (await new Stripe(t.fake.secretKey, t.fake.clientConfig()).checkout.sessions.create({ mode: 'payment', line_items: [{ price: tshirt.id, quantity: 1 }], client_reference_id: 'u_shirt', metadata: { plan: 'pro', credits: '1000' }, success_url: SUCCESS.successUrl })).id,
      );
      await t.deliver(...metadataForged.events);
      expect(await t.service.getEntitlement('u_shirt')).toMatchObject({ entitled: false, plans: [] });
      expect(await balance('u_shirt')).toBe(0);
    });

    it('keeps a purchase that named no usable account unlinked until support claims it, through the host hook', async () => {
      const { paymentIntent } = await paymentLink([{ price: pack.id, quantity: 1 }]);
      const rejected = await paymentLink([{ price: pack.id, quantity: 1 }], 'banned_1');
      expect(await balance('banned_1')).toBe(0);
      const unlinked = await t.billing.listPurchases({ unlinked: true });
      expect(unlinked.map((p) => p.paymentRef).sort()).toEqual([paymentIntent!.id, rejected.paymentIntent!.id].sort());
      expect(JSON.stringify(unlinked)).not.toMatch(/@/);

      await expect(t.billing.claimPurchase(paymentIntent!.id, 'banned_2')).rejects.toMatchObject({ status: 422 });
      const claim = await t.billing.claimPurchase(paymentIntent!.id, 'u_claimer');
      expect(claim).toMatchObject({ alreadyClaimed: false, purchase: { accountRef: 'u_claimer' } });
      expect(await balance('u_claimer')).toBe(100);
      expect(await t.billing.claimPurchase(paymentIntent!.id, 'u_claimer')).toMatchObject({ alreadyClaimed: true });
      expect(await balance('u_claimer')).toBe(100);
      await expect(t.billing.claimPurchase(paymentIntent!.id, 'u_other')).rejects.toMatchObject({ status: 409 });
      await expect(t.billing.claimPurchase('pi_unknown', 'u_other')).rejects.toMatchObject({ status: 404 });
      expect(eventsNamed(LitestripeEvents.PurchaseCompleted).filter((e) => e.accountRef === 'u_claimer')).toHaveLength(1);
    });

    it('keeps the first account when a later event names another', async () => {
      const { session, events } = await buy('u_first', { creditPack: 'exports_100' });
      const checkout = events.find((e) => e.type === 'checkout.session.completed')!;
      const hijack = { ...checkout, id: `${checkout.id}_forged`, data: { object: { ...(checkout.data.object as Stripe.Checkout.Session), client_reference_id: 'u_attacker' } } } as Stripe.Event;
      expect(await outcomeOf(hijack)).toBe('processed');
      expect(await balance('u_attacker')).toBe(0);
      expect(await balance('u_first')).toBe(100);
      expect((await purchases())[0]).toMatchObject({ checkoutSessionId: session.id, accountRef: 'u_first' });
    });

    it('records a live-mode purchase event under a test key, and applies nothing', async () => {
      const { events } = await buy('u_mode', { creditPack: 'exports_100' }, { deliver: false });
      const checkout = events.find((e) => e.type === 'checkout.session.completed')!;
      const live = { ...checkout, livemode: true, data: { object: { ...(checkout.data.object as object), livemode: true } } } as Stripe.Event;
      expect(await outcomeOf(live)).toBe('wrong_mode');
      expect(await purchases()).toEqual([]);
    });
  });

  describe('bad input', () => {
    it.each([
      [{ lifetimePlan: 'pro', creditPack: 'exports_100' }, /exactly one of lifetimePlan, creditPack or price/],
      [{}, /exactly one of lifetimePlan, creditPack or price/],
      [{ creditPack: 'nope' }, /Unknown credit pack "nope"; configured packs: exports_100/],
      [{ lifetimePlan: 'basic' }, /Plan "basic" is not sold for good in test mode/],
      [{ lifetimePlan: 'pro', quantity: 2 }, /A lifetime plan is bought once/],
      [{ creditPack: 'exports_100', quantity: 0 }, /quantity must be a whole number of at least 1/],
    ])('refuses %p with a 400 that says why, before calling Stripe', async (choice, message) => {
      t.fake.clearRequests();
      await expect(t.billing.createPurchaseSession({ accountRef: 'u_bad', ...SUCCESS, ...choice })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(message) });
      expect(t.fake.requests).toEqual([]);
    });

    it('refuses to sell a subscription price or a T-shirt once', async () => {
      await expect(t.billing.createPurchaseSession({ accountRef: 'u_bad', price: t.prices.basic.id, ...SUCCESS })).rejects.toMatchObject({ status: 400 });
      await expect(t.billing.createPurchaseSession({ accountRef: 'u_bad', price: tshirt.id, ...SUCCESS })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/would grant nothing/) });
      await expect(t.billing.createPurchaseSession({ accountRef: 'not an account!', creditPack: 'exports_100', ...SUCCESS })).rejects.toMatchObject({ status: 400 });
    });
  });
});
