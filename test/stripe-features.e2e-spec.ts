import { Controller, Get, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type Stripe from 'stripe';
import { CustomerFeatures, LitestripeConfigError, LitestripeModule, RequiresFeature, SubscriptionSyncService } from '@litestripe/nestjs';
import type { LitestripeModuleOptions } from '@litestripe/nestjs';
import { FakeStripe, signedDelivery } from '@litestripe/nestjs/testing';
import { BillingHost, plansFor, SeededPrices, startBillingHost } from './support/billing-host';
import { HeaderAuthGuard } from './support/header-auth.guard';
import { bootAndClose, closeOpenedDataSources } from './support/module-boot';
import { WEBHOOK_SECRET } from './support/test-app';

const SUMMARY = 'entitlements.active_entitlement_summary.updated';
const FEATURES_UPDATED = 'litestripe.features.updated';
/** The twelve features of the mega plan's product: more than the ten a summary event carries. */
const MEGA_FEATURES = Array.from({ length: 12 }, (_, i) => `mega_${String(i + 1).padStart(2, '0')}`);

@Controller('features')
class FeatureRoutes {
  @RequiresFeature('journeys')
  @Get('journeys')
  journeys() {
    return { journeys: true };
  }

  @RequiresFeature('priority_support')
  @Get('priority')
  priority() {
    return { priority: true };
  }

  /** A feature the pro plan configures (not one of Stripe's). */
  @RequiresFeature('export')
  @Get('export')
  exportAll() {
    return { exported: true };
  }
}

@Module({ controllers: [FeatureRoutes] })
class FeatureRoutesModule {}

/**
 * The fake Stripe's catalogue: `journeys` attached to the pro plan's product (the checkout's price,
 * pro yearly), `priority_support` attached to nothing, and a mega plan whose product has twelve.
 */
function seedFeatures(fake: FakeStripe, prices: SeededPrices): LitestripeModuleOptions['plans'] {
  fake.seedFeature({ lookupKey: 'journeys', name: 'Journeys' });
  fake.seedFeature({ lookupKey: 'priority_support' });
  fake.attachFeature(prices.proYearly.product as string, 'journeys');
  const mega = fake.seedPrice({ nickname: 'Mega', lookupKey: 'mega_monthly', unitAmount: 19900, features: MEGA_FEATURES });
  return { ...plansFor(prices), mega: { name: 'Mega', prices: { test: mega.id } } };
}

function startHost(featuresFrom: 'stripe' | 'both' | undefined): Promise<BillingHost> {
  return startBillingHost({
    isGlobal: true,
    imports: featuresFrom ? [FeatureRoutesModule] : [],
    providers: [{ provide: APP_GUARD, useClass: HeaderAuthGuard }],
    configure: (fake, prices) => ({
      plans: seedFeatures(fake, prices),
      ...(featuresFrom ? { featuresFrom, stripeFeatures: ['journeys', 'priority_support', ...MEGA_FEATURES] } : {}),
    }),
  });
}

/** Posts one event, signed at the module clock's time, and returns the webhook's outcome. */
async function post(t: BillingHost, event: Stripe.Event): Promise<string> {
  const { body, headers } = await signedDelivery(event, WEBHOOK_SECRET, t.clock.seconds());
  const response = await t.http().post(t.webhookUrl).set(headers).send(body).expect(200);
  return response.body.outcome as string;
}

function split(events: Stripe.Event[]): { summary: Stripe.Event; others: Stripe.Event[] } {
  const summaries = events.filter((event) => event.type === SUMMARY);
  expect(summaries).toHaveLength(1);
  return { summary: summaries[0], others: events.filter((event) => event.type !== SUMMARY) };
}

function summaryKeys(event: Stripe.Event): string[] {
  return (event.data.object as Stripe.Entitlements.ActiveEntitlementSummary).entitlements.data.map((entitlement) => entitlement.lookup_key);
}

async function stored(t: BillingHost, customerId: string): Promise<CustomerFeatures | null> {
  return t.dataSource.getRepository(CustomerFeatures).findOneBy({ customerId });
}

function featureEvents(t: BillingHost) {
  return t.recorder.events.filter((event) => event.name === FEATURES_UPDATED).map((event) => event.payload);
}

const get = (t: BillingHost, path: string, user: string) => t.http().get(path).set('x-user', user);

describe("featuresFrom: 'stripe'", () => {
  let t: BillingHost;
  beforeAll(async () => {
    t = await startHost('stripe');
  }, 30_000);
  afterAll(() => t.close());
  beforeEach(() => t.reset());

  it('entitles to the features of the subscribed product once the summary arrives, and to none other', async () => {
    const { subscription, events } = await t.subscribe('u_pro', { plan: 'pro' }, { deliver: false });
    const customer = subscription!.customer as string;
    const { summary, others } = split(events);
    expect(summaryKeys(summary)).toEqual(['journeys']);

    await t.deliver(...others);
    expect(await t.service.isEntitled('u_pro')).toBe(true);
    expect(await t.service.isEntitled('u_pro', { feature: 'journeys' })).toBe(false);
    await get(t, '/features/journeys', 'u_pro').expect(403);

    expect(await post(t, summary)).toBe('processed');
    expect(await t.service.isEntitled('u_pro', { feature: 'journeys' })).toBe(true);
    await get(t, '/features/journeys', 'u_pro').expect(200, { journeys: true });
    // Not attached to the product; and the plan's configured features do not count with 'stripe'.
    expect(await t.service.isEntitled('u_pro', { feature: 'priority_support' })).toBe(false);
    await get(t, '/features/priority', 'u_pro').expect(403);
    expect(await t.service.isEntitled('u_pro', { feature: 'export' })).toBe(false);
    await get(t, '/features/export', 'u_pro').expect(403);
    expect((await t.service.getEntitlement('u_pro')).features).toEqual(['journeys']);
    // Another account is not entitled by this customer's features.
    await get(t, '/features/journeys', 'u_other').expect(403);

    expect(await stored(t, customer)).toMatchObject({ lookupKeys: ['journeys'], livemode: false, eventCreated: summary.created });
    expect(featureEvents(t)).toEqual([
      expect.objectContaining({
        id: `${summary.id}:${FEATURES_UPDATED}`,
        customerId: customer,
        accountRefs: ['u_pro'],
        features: ['journeys'],
        previousFeatures: [],
        stripeEvent: expect.objectContaining({ id: summary.id, type: SUMMARY }),
      }),
    ]);
  });

  it("counts Stripe's features from the success page, before any webhook", async () => {
    const { session, subscription } = await t.subscribe('u_page', { plan: 'pro' }, { deliver: false });
    expect(await t.service.isEntitled('u_page', { feature: 'journeys' })).toBe(false);
    await t.billing.syncCheckoutSession(session.id, { accountRef: 'u_page' });
    expect(await t.service.getEntitlement('u_page')).toMatchObject({ entitled: true, features: ['journeys'], stripeFeatures: ['journeys'] });
    await get(t, '/features/journeys', 'u_page').expect(200);
    expect(await stored(t, subscription!.customer as string)).toMatchObject({ lookupKeys: ['journeys'] });
    expect(featureEvents(t)).toEqual([expect.objectContaining({ accountRefs: ['u_page'], features: ['journeys'], stripeEvent: expect.objectContaining({ type: 'api.sync' }) })]);
  });

  it('stops entitling once the subscription ends, and forgets the features with the summary that follows', async () => {
    const { subscription } = await t.subscribe('u_cancel', { plan: 'pro' });
    const customer = subscription!.customer as string;
    await get(t, '/features/journeys', 'u_cancel').expect(200);
    t.recorder.clear();

    const changes = await t.stripeChanges(subscription!.id, { status: 'canceled' }, { deliver: false });
    const { summary, others } = split(changes);
    expect(summaryKeys(summary)).toEqual([]);
    await t.deliver(...others);
    // The keys are still stored, but only an entitling subscription grants them.
    expect((await stored(t, customer))?.lookupKeys).toEqual(['journeys']);
    expect(await t.service.isEntitled('u_cancel', { feature: 'journeys' })).toBe(false);
    await get(t, '/features/journeys', 'u_cancel').expect(403);

    expect(await post(t, summary)).toBe('processed');
    expect((await stored(t, customer))?.lookupKeys).toEqual([]);
    expect(featureEvents(t)).toEqual([expect.objectContaining({ customerId: customer, accountRefs: ['u_cancel'], features: [], previousFeatures: ['journeys'] })]);
  });

  it('lists the customer’s entitlements from Stripe when the summary holds only the first ten', async () => {
    const { subscription, events } = await t.subscribe('u_mega', { plan: 'mega' }, { deliver: false });
    const customer = subscription!.customer as string;
    const { summary } = split(events);
    const list = (summary.data.object as Stripe.Entitlements.ActiveEntitlementSummary).entitlements;
    expect(list.has_more).toBe(true);
    expect(list.data).toHaveLength(10);
    const beyondPayload = MEGA_FEATURES.filter((key) => !summaryKeys(summary).includes(key));
    expect(beyondPayload).toHaveLength(2);

    t.fake.clearRequests();
    await t.deliver(...events);
    expect(t.fake.requests.filter((r) => r.path === '/v1/entitlements/active_entitlements').map((r) => r.params.customer)).toEqual([customer]);
    expect((await stored(t, customer))?.lookupKeys).toEqual(MEGA_FEATURES);
    for (const key of beyondPayload) expect(await t.service.isEntitled('u_mega', { feature: key })).toBe(true);
    expect(await t.service.isEntitled('u_mega', { feature: MEGA_FEATURES })).toBe(true);
    expect(await t.service.isEntitled('u_mega', { feature: 'journeys' })).toBe(false);
  });

  it('keeps the newest summary: an older one delivered later changes nothing; one of the same second arriving later wins', async () => {
    const { subscription, events } = await t.subscribe('u_down', { plan: 'pro' }, { deliver: false });
    const customer = subscription!.customer as string;
    const { summary: older, others } = split(events);
    await t.deliver(...others);
    // Down to basic, whose product has no feature: Stripe's newer summary lists none.
    const { summary: newer, others: change } = split(await t.stripeChanges(subscription!.id, { price: t.prices.basic.id }, { deliver: false }));
    expect(newer.created).toBeGreaterThan(older.created);
    await t.deliver(...change);
    expect(await post(t, newer)).toBe('processed');
    expect(await post(t, older)).toBe('processed');
    expect(await stored(t, customer)).toMatchObject({ lookupKeys: [], eventCreated: newer.created });
    expect(await t.service.isEntitled('u_down', { feature: 'journeys' })).toBe(false);
    expect(featureEvents(t)).toEqual([]);

    // Same second as the stored one: the later arrival wins.
    const tie = structuredClone(older);
    tie.id = 'evt_same_second_as_newer';
    tie.created = newer.created;
    expect(await post(t, tie)).toBe('processed');
    expect(await stored(t, customer)).toMatchObject({ lookupKeys: ['journeys'], eventCreated: newer.created });
    expect(await t.service.isEntitled('u_down', { feature: 'journeys' })).toBe(true);
    expect(featureEvents(t)).toEqual([expect.objectContaining({ id: `evt_same_second_as_newer:${FEATURES_UPDATED}`, features: ['journeys'], previousFeatures: [] })]);
  });

  it('records a redelivery as a duplicate, and applies no event of the other mode', async () => {
    const { subscription, events } = await t.subscribe('u_dup', { plan: 'pro' }, { deliver: false });
    const customer = subscription!.customer as string;
    const { summary, others } = split(events);
    await t.deliver(...others);

    const live = structuredClone(summary);
    live.id = 'evt_live_summary';
    live.livemode = true;
    (live.data.object as { livemode: boolean }).livemode = true;
    expect(await post(t, live)).toBe('wrong_mode');
    expect(await stored(t, customer)).toBeNull();
    expect(await t.service.isEntitled('u_dup', { feature: 'journeys' })).toBe(false);

    expect(await post(t, summary)).toBe('processed');
    expect(await post(t, summary)).toBe('duplicate');
    expect(featureEvents(t)).toHaveLength(1);
    expect(await t.service.isEntitled('u_dup', { feature: 'journeys' })).toBe(true);
  });

  it('backfills the features of customers whose summaries were never delivered, dated by Stripe’s answer', async () => {
    const pro = await t.subscribe('u_back_pro', { plan: 'pro' }, { deliver: false });
    const basic = await t.subscribe('u_back_basic', { plan: 'basic' }, { deliver: false });
    const sync = t.app.get(SubscriptionSyncService);
    t.fake.advanceClock(30);

    const summary = await sync.backfill();
    expect(summary).toMatchObject({ created: 2, failed: 0, featuresSynced: 2, complete: true });
    expect(await stored(t, pro.subscription!.customer as string)).toMatchObject({ lookupKeys: ['journeys'], eventCreated: t.fake.now() });
    expect(await stored(t, basic.subscription!.customer as string)).toMatchObject({ lookupKeys: [], eventCreated: t.fake.now() });
    expect(await t.service.isEntitled('u_back_pro', { feature: 'journeys' })).toBe(true);
    await get(t, '/features/journeys', 'u_back_pro').expect(200);
    expect(await t.service.isEntitled('u_back_basic', { feature: 'journeys' })).toBe(false);
    expect(featureEvents(t)).toEqual([
      expect.objectContaining({ customerId: pro.subscription!.customer, accountRefs: ['u_back_pro'], features: ['journeys'], stripeEvent: expect.objectContaining({ type: 'api.sync' }) }),
    ]);
    // The summary Stripe sent at checkout is older than the backfill's answer: too late to change anything.
    const { summary: late } = split(pro.events);
    expect(await post(t, late)).toBe('processed');
    expect(await stored(t, pro.subscription!.customer as string)).toMatchObject({ eventCreated: t.fake.now() });

    // One customer: its features too.
    const third = await t.subscribe('u_back_third', { plan: 'pro' }, { deliver: false });
    expect(await sync.syncCustomer(third.subscription!.customer as string)).toMatchObject({ created: 1, featuresSynced: 1 });
    expect(await t.service.isEntitled('u_back_third', { feature: 'journeys' })).toBe(true);
  });
});

describe("featuresFrom: 'both'", () => {
  let t: BillingHost;
  beforeAll(async () => {
    t = await startHost('both');
  }, 30_000);
  afterAll(() => t.close());

  it('unites the plan’s configured features with Stripe’s', async () => {
    const { events } = await t.subscribe('u_both', { plan: 'pro' }, { deliver: false });
    const { summary, others } = split(events);
    await t.deliver(...others);
    expect((await t.service.getEntitlement('u_both')).features.toSorted()).toEqual(['advanced_analytics', 'export', 'reports']);
    await get(t, '/features/export', 'u_both').expect(200);
    await get(t, '/features/journeys', 'u_both').expect(403);

    await t.deliver(summary);
    expect((await t.service.getEntitlement('u_both')).features.toSorted()).toEqual(['advanced_analytics', 'export', 'journeys', 'reports']);
    await get(t, '/features/export', 'u_both').expect(200);
    await get(t, '/features/journeys', 'u_both').expect(200);
    await get(t, '/features/priority', 'u_both').expect(403);
    expect(await t.service.isEntitled('u_both', { feature: ['export', 'journeys'] })).toBe(true);
  });
});

describe("featuresFrom: 'config' (the default)", () => {
  let t: BillingHost;
  beforeAll(async () => {
    t = await startHost(undefined);
  }, 30_000);
  afterAll(() => t.close());

  it('ignores Stripe’s summaries: only the plans’ features count', async () => {
    const { events } = await t.subscribe('u_config', { plan: 'pro' }, { deliver: false });
    const { summary, others } = split(events);
    expect(summaryKeys(summary)).toEqual(['journeys']);
    await t.deliver(...others);
    expect(await post(t, summary)).toBe('ignored');
    expect(await t.dataSource.getRepository(CustomerFeatures).count()).toBe(0);
    expect((await t.service.getEntitlement('u_config')).features.toSorted()).toEqual(['advanced_analytics', 'export', 'reports']);
    expect(featureEvents(t)).toEqual([]);
    // 'journeys' is no feature of this app: asking for it is a mistake, not a "no".
    await expect(t.service.isEntitled('u_config', { feature: 'journeys' })).rejects.toThrow(/no configured plan has the feature "journeys"/);
  });
});

describe('Stripe features at start-up', () => {
  afterEach(() => closeOpenedDataSources());

  const boot = async (options: Partial<LitestripeModuleOptions>, imports: (new () => unknown)[] = []) => {
    await bootAndClose(
      LitestripeModule.forRoot({
        secretKey: 'sk_test_litestripe',
        webhookUuid: '5f0c8a36-7d1e-4b8e-9a43-0d5e2c1f6b7a',
        webhookSecret: WEBHOOK_SECRET,
        isGlobal: true,
        plans: { pro: { prices: { test: 'price_pro' }, features: ['export'] } },
        ...options,
      }),
      { imports },
    );
  };

  it('refuses stripeFeatures without featuresFrom', async () => {
    const error = await boot({ stripeFeatures: ['journeys'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LitestripeConfigError);
    expect((error as LitestripeConfigError).option).toBe('stripeFeatures');
    expect((error as Error).message).toMatch(/is set while featuresFrom is 'config'/);
  });

  it('still refuses a @RequiresFeature() that neither a plan nor stripeFeatures lists, and boots when they do', async () => {
    @Controller('unknown')
    class UnknownFeatureRoutes {
      @RequiresFeature('unknown')
      @Get()
      unknown() {
        return {};
      }
    }
    @Module({ controllers: [UnknownFeatureRoutes] })
    class UnknownFeatureModule {}

    const error = await boot({ featuresFrom: 'stripe', stripeFeatures: ['journeys'] }, [UnknownFeatureModule]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LitestripeConfigError);
    expect((error as Error).message).toMatch(/gives no plan the feature "unknown", which @RequiresFeature\(\) on UnknownFeatureRoutes\.unknown asks for/);

    await expect(boot({ featuresFrom: 'stripe', stripeFeatures: ['journeys', 'priority_support'] }, [FeatureRoutesModule])).resolves.toBeUndefined();
  });
});
