import { StripeSubscription } from '../entities/stripe-subscription.entity.js';
import { entitlementOf } from './account-entitlement.js';
import { resolveEntitlementOptions } from '../config/entitlement-options.validator.js';

const NOW = new Date('2026-11-25T12:00:00Z');
const DAY = 86_400_000;
const { catalog, policy } = resolveEntitlementOptions(
  {
    plans: {
      basic: { prices: { test: 'price_basic' }, features: ['reports'], limits: { projects: 3, seats: 1 } },
      pro: { prices: { test: 'price_pro' }, features: ['reports', 'export'], limits: { projects: 50 } },
      addon: { prices: { test: 'price_addon' }, features: ['sso'], limits: { seats: 25 } },
    },
  },
  { secretKey: 'sk_test_x', accountReferenceMetadataKey: 'client_reference_id', clock: { now: () => NOW } },
);

function sub(id: string, fields: Partial<StripeSubscription>): StripeSubscription {
  return Object.assign(new StripeSubscription(), {
    id,
    accountRef: 'acct_1',
    status: 'active',
    priceId: 'price_basic',
    lookupKey: null,
    quantity: 1,
    currentPeriodStart: new Date(NOW.getTime() - 10 * DAY),
    currentPeriodEnd: new Date(NOW.getTime() + 20 * DAY),
    trialEnd: null,
    cancelAtPeriodEnd: false,
    cancelAt: null,
    endedAt: null,
    pauseBehavior: null,
    pauseResumesAt: null,
    createdAt: new Date(NOW.getTime() - 10 * DAY),
    ...fields,
  });
}

describe('entitlementOf', () => {
  it('says no_subscription for an account without rows', () => {
    expect(entitlementOf('acct_1', [], NOW, policy, catalog)).toMatchObject({ entitled: false, reason: 'no_subscription', subscription: null, plans: [], features: [], limits: {} });
  });

  it('decides by the best entitling subscription and merges features and limits of every entitling plan', () => {
    const ended = sub('sub_old', { status: 'canceled', priceId: 'price_pro', endedAt: new Date(NOW.getTime() - DAY) });
    const basic = sub('sub_basic', {});
    const addon = sub('sub_addon', { priceId: 'price_addon', cancelAtPeriodEnd: true, cancelAt: new Date(NOW.getTime() + 20 * DAY) });
    const e = entitlementOf('acct_1', [ended, addon, basic], NOW, policy, catalog);
    expect(e).toMatchObject({ entitled: true, reason: 'active', plan: 'basic', status: 'active' });
    expect(e.subscription?.id).toBe('sub_basic');
    expect(e.plans).toEqual(['basic', 'addon']);
    expect(e.features).toEqual(['reports', 'sso']);
    expect(e.limits).toEqual({ projects: 3, seats: 25 });
  });

  it('reports the live problem rather than an old end when nothing entitles', () => {
    const ended = sub('sub_old', { status: 'canceled', endedAt: new Date(NOW.getTime() - 40 * DAY), currentPeriodEnd: new Date(NOW.getTime() - 40 * DAY) });
    const pastDue = sub('sub_new', { status: 'past_due', priceId: 'price_pro' });
    const e = entitlementOf('acct_1', [ended, pastDue], NOW, policy, catalog);
    expect(e).toMatchObject({ entitled: false, reason: 'past_due', plan: 'pro', plans: [], features: [] });
  });

  it('does not entitle on a price no plan lists: the plans are the catalogue', () => {
    const tipJar = sub('sub_x', { priceId: 'price_tip_jar' });
    expect(entitlementOf('acct_1', [tipJar], NOW, policy, catalog)).toMatchObject({ entitled: false, reason: 'unlisted_price', plan: null, until: null });
    // Beside a listed plan it changes nothing: the listed subscription decides.
    expect(entitlementOf('acct_1', [tipJar, sub('sub_b', { priceId: 'price_basic' })], NOW, policy, catalog)).toMatchObject({ entitled: true, plan: 'basic', plans: ['basic'] });
  });

  it('entitles with no plan on an unlisted price when allowUnlistedPrices is set, or when no plan is configured', () => {
    const tipJar = [sub('sub_x', { priceId: 'price_tip_jar' })];
    const base = { secretKey: 'sk_test_x', accountReferenceMetadataKey: 'client_reference_id', clock: { now: () => NOW } };
    const allowing = resolveEntitlementOptions({ plans: { basic: { prices: { test: 'price_basic' } } } }, { ...base, allowUnlistedPrices: true });
    expect(entitlementOf('acct_1', tipJar, NOW, allowing.policy, allowing.catalog)).toMatchObject({ entitled: true, reason: 'active', plan: null, plans: [], features: [] });
    const noPlans = resolveEntitlementOptions({}, base);
    expect(entitlementOf('acct_1', tipJar, NOW, noPlans.policy, noPlans.catalog)).toMatchObject({ entitled: true, reason: 'active', plan: null });
  });
});

describe('entitlementOf with lifetime plans and Stripe features', () => {
  const options = (featuresFrom: 'config' | 'stripe' | 'both') =>
    resolveEntitlementOptions(
      {
        plans: {
          basic: { prices: { test: 'price_basic' }, features: ['reports'], limits: { projects: 3 } },
          pro: { prices: { test: 'price_pro' }, lifetimePrices: { test: 'price_pro_life' }, features: ['reports', 'export'], limits: { projects: 50 } },
        },
        featuresFrom,
        ...(featuresFrom === 'config' ? {} : { stripeFeatures: ['sso', 'audit'] }),
      },
      { secretKey: 'sk_test_x', accountReferenceMetadataKey: 'client_reference_id', clock: { now: () => NOW } },
    );
  const ended = sub('sub_old', { status: 'canceled', endedAt: new Date(NOW.getTime() - DAY) });

  it('lets a lifetime plan entitle when no subscription does, with no end', () => {
    const { catalog, policy } = options('config');
    expect(entitlementOf('acct_1', [ended], NOW, policy, catalog, { lifetimePlans: ['pro'], stripeFeatures: [] })).toMatchObject({
      entitled: true,
      reason: 'lifetime',
      plan: 'pro',
      plans: ['pro'],
      lifetimePlans: ['pro'],
      features: ['reports', 'export'],
      limits: { projects: 50 },
      subscription: null,
      until: null,
    });
  });

  it('lets an entitling subscription decide beside a lifetime plan, with both plans and the larger limits', () => {
    const { catalog, policy } = options('config');
    const e = entitlementOf('acct_1', [sub('sub_b', {})], NOW, policy, catalog, { lifetimePlans: ['pro'], stripeFeatures: [] });
    expect(e).toMatchObject({ reason: 'active', plan: 'basic', plans: ['basic', 'pro'], lifetimePlans: ['pro'], limits: { projects: 50 } });
    expect(e.subscription?.id).toBe('sub_b');
  });

  it('ignores a lifetime plan the configuration no longer has', () => {
    const { catalog, policy } = options('config');
    expect(entitlementOf('acct_1', [], NOW, policy, catalog, { lifetimePlans: ['gone'], stripeFeatures: [] })).toMatchObject({ entitled: false, plans: [], lifetimePlans: [] });
  });

  it.each([
    ['config', ['reports']],
    ['stripe', ['sso']],
    ['both', ['reports', 'sso']],
  ] as const)('with featuresFrom %s, an active subscription has the features %p', (featuresFrom, features) => {
    const { catalog, policy } = options(featuresFrom);
    expect(entitlementOf('acct_1', [sub('sub_b', {})], NOW, policy, catalog, { lifetimePlans: [], stripeFeatures: ['sso'] }).features).toEqual(features);
  });

  it("counts Stripe's features only while a subscription entitles; a lifetime plan keeps its configured ones", () => {
    const { catalog, policy } = options('stripe');
    expect(entitlementOf('acct_1', [ended], NOW, policy, catalog, { lifetimePlans: [], stripeFeatures: ['sso'] }).features).toEqual([]);
    expect(entitlementOf('acct_1', [ended], NOW, policy, catalog, { lifetimePlans: ['pro'], stripeFeatures: ['sso'] }).features).toEqual(['reports', 'export']);
  });
});
