import { LitestripeConfigError } from '../errors/litestripe-config.error.js';
import { configRefusal } from './spec-helpers.js';
import type { LitestripeEntitlementOptions } from './entitlement-options.interface.js';
import { resolveEntitlementOptions } from './entitlement-options.validator.js';

const TEST_BASE = { secretKey: 'sk_test_51Unit', accountReferenceMetadataKey: 'client_reference_id', clock: { now: () => new Date(0) } };
const LIVE_BASE = { secretKey: 'rk_live_51Unit', accountReferenceMetadataKey: 'client_reference_id', clock: TEST_BASE.clock };

function refusal(options: unknown, base = TEST_BASE): LitestripeConfigError {
  return configRefusal(() => resolveEntitlementOptions(options as LitestripeEntitlementOptions, base));
}

describe('resolveEntitlementOptions', () => {
  it('fills in every default', () => {
    const resolved = resolveEntitlementOptions({}, TEST_BASE);
    expect(resolved).toMatchObject({
      livemode: false,
      policy: { pastDueGraceSeconds: 0, denyPausedCollection: false, staleAfterSeconds: 3600 },
      refreshStaleRows: true,
      cache: { ttlMs: 300_000, maxEntries: 10_000, invalidation: 'auto', listenUrl: undefined },
      deniedStatus: 403,
      orphanEmailRetentionDays: 30,
      accountReferenceMetadataKey: 'client_reference_id',
    });
    expect(resolved.catalog.plans).toEqual([]);
    expect(resolved.accountResolver({ user: { id: 'u1' } })).toBe('u1');
    expect(resolved.accountResolver({ raw: { user: { id: 'u2' } } })).toBe('u2');
    expect(resolved.clock.now()).toBeInstanceOf(Date);
  });

  it('normalizes plans and looks them up by price id of either mode and by lookup key', () => {
    const { catalog } = resolveEntitlementOptions(
      {
        plans: {
          pro: { name: 'Pro', prices: { test: ['price_t1', 'price_t2'], live: 'price_l1' }, features: ['export'], limits: { projects: 50 } },
          team: { lookupKeys: 'team_monthly', features: ['export', 'sso'], limits: { projects: Infinity } },
        },
      },
      TEST_BASE,
    );
    expect(catalog.summaries()).toEqual([
      { id: 'pro', name: 'Pro', prices: ['price_t1', 'price_t2'], meteredPrices: [], lifetimePrices: [], lookupKeys: [], features: ['export'], limits: { projects: 50 } },
      { id: 'team', name: 'team', prices: [], meteredPrices: [], lifetimePrices: [], lookupKeys: ['team_monthly'], features: ['export', 'sso'], limits: { projects: Infinity } },
    ]);
    expect(catalog.planOf({ priceId: 'price_t2', lookupKey: null })?.id).toBe('pro');
    expect(catalog.planOf({ priceId: 'price_l1', lookupKey: null })?.id).toBe('pro');
    expect(catalog.planOf({ priceId: 'price_other', lookupKey: 'team_monthly' })?.id).toBe('team');
    expect(catalog.planOf({ priceId: 'price_other', lookupKey: null })).toBeNull();
    expect([...catalog.features]).toEqual(['export', 'sso']);
  });

  it('turns the cache off with false, and takes its invalidation and listen URL', () => {
    expect(resolveEntitlementOptions({ entitlementCache: false }, TEST_BASE).cache).toBeNull();
    expect(resolveEntitlementOptions({ entitlementCache: { ttlSeconds: 5, listenUrl: 'postgresql://db.internal:5432/app' } }, TEST_BASE).cache).toEqual({
      ttlMs: 5000,
      maxEntries: 10_000,
      invalidation: 'auto',
      listenUrl: 'postgresql://db.internal:5432/app',
    });
    expect(resolveEntitlementOptions({ entitlementCache: { invalidation: 'in-process' } }, TEST_BASE).cache?.invalidation).toBe('in-process');
  });

  it.each<[string, unknown, string, RegExp]>([
    ['a cache given as true', true, 'entitlementCache', /must be false or/],
    ['an unknown invalidation', { invalidation: 'redis' }, 'entitlementCache.invalidation', /'auto', 'listen' or 'in-process'/],
    ['a listen URL that is not PostgreSQL', { listenUrl: 'redis://127.0.0.1' }, 'entitlementCache.listenUrl', /postgres:\/\//],
    ['a listen URL with in-process invalidation', { invalidation: 'in-process', listenUrl: 'postgres://db/app' }, 'entitlementCache.listenUrl', /listens nowhere/],
    ['a TTL of zero', { ttlSeconds: 0 }, 'entitlementCache.ttlSeconds', /./],
  ])('refuses %s in entitlementCache', (_label, entitlementCache, option, problem) => {
    const error = refusal({ entitlementCache });
    expect(error.option).toBe(option);
    expect(error.message).toMatch(problem);
  });

  it('uses live price ids with a live key', () => {
    const { livemode, catalog } = resolveEntitlementOptions({ plans: { pro: { prices: { test: 'price_t', live: 'price_l' } } } }, LIVE_BASE);
    expect(livemode).toBe(true);
    expect(catalog.summaries()[0].prices).toEqual(['price_l']);
  });

  it.each<[string, unknown, string, RegExp]>([
    ['a list instead of named plans', ['pro'], 'plans', /object of named plans/],
    ['a plan name with a space', { 'pro plan': { prices: { test: 'price_1' } } }, 'plans.pro plan', /letters, digits/],
    ['an empty plan', { pro: {} }, 'plans.pro', /no test-mode price and no lookup key/],
    ['a plan with only live prices, in test mode', { pro: { prices: { live: 'price_l' } } }, 'plans.pro', /prices\.test/],
    ['a price id in two plans', { basic: { prices: { test: 'price_1' } }, pro: { prices: { test: ['price_2', 'price_1'] } } }, 'plans.pro', /repeats the price "price_1" of plan "basic"/],
    ['a lookup key in two plans', { basic: { lookupKeys: 'k' }, pro: { lookupKeys: ['k'] } }, 'plans.pro', /lookup key "k"/],
    ['a price id repeated in one plan', { pro: { prices: { test: ['price_1', 'price_1'] } } }, 'plans.pro.prices.test', /repeats an entry/],
    ['prices given as a list', { pro: { prices: ['price_1'] } }, 'plans.pro.prices', /\{ test\?, live\? \}/],
    ['a misspelt plan option', { pro: { prices: { test: 'price_1' }, feature: ['x'] } }, 'plans.pro.feature', /not a plan option/],
    ['a price id with a stray space', { pro: { prices: { test: 'price_1 ' } } }, 'plans.pro.prices.test', /surrounding spaces/],
    ['a negative limit', { pro: { prices: { test: 'price_1' }, limits: { projects: -1 } } }, 'plans.pro.limits.projects', /number >= 0/],
    ['a limit as text', { pro: { prices: { test: 'price_1' }, limits: { projects: '5' } } }, 'plans.pro.limits.projects', /number >= 0/],
  ])('refuses %s, naming the option', (_label, plans, option, problem) => {
    const error = refusal({ plans });
    expect(error.option).toBe(option);
    expect(error.message).toMatch(problem);
    expect(error.message).toContain(`Litestripe option "${option}"`);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a fractional grace', { pastDueGraceSeconds: 1.5 }, 'pastDueGraceSeconds'],
    ['a negative stale tolerance', { staleAfterSeconds: -1 }, 'staleAfterSeconds'],
    ['a status that is not 402 or 403', { deniedStatus: 401 }, 'deniedStatus'],
    ['a resolver that is not a function', { accountResolver: 'user.id' }, 'accountResolver'],
    ['a cache TTL of 0', { entitlementCache: { ttlSeconds: 0 } }, 'entitlementCache.ttlSeconds'],
    ['a cache that is not an object', { entitlementCache: 'yes' }, 'entitlementCache'],
    ['a negative retention', { orphanEmailRetentionDays: -2 }, 'orphanEmailRetentionDays'],
    ['a boolean given as text', { denyPausedCollection: 'false' }, 'denyPausedCollection'],
    ['the replaced collectionPausedEntitles, even set to its old default', { collectionPausedEntitles: false }, 'collectionPausedEntitles'],
    ['an empty subscribe link', { subscribeUrl: '' }, 'subscribeUrl'],
  ])('refuses %s', (_label, options, option) => {
    expect(refusal(options).option).toBe(option);
  });

  it('keeps given values', () => {
    const resolved = resolveEntitlementOptions(
      { pastDueGraceSeconds: 259_200, denyPausedCollection: true, staleAfterSeconds: 0, refreshStaleRows: false, entitlementCache: { ttlSeconds: 5 }, deniedStatus: 402, orphanEmailRetentionDays: null, subscribeUrl: '/pricing' },
      TEST_BASE,
    );
    expect(resolved).toMatchObject({
      policy: { pastDueGraceSeconds: 259_200, denyPausedCollection: true, staleAfterSeconds: 0 },
      refreshStaleRows: false,
      cache: { ttlMs: 5000, maxEntries: 10_000 },
      deniedStatus: 402,
      orphanEmailRetentionDays: null,
      subscribeUrl: '/pricing',
    });
    expect(resolved.clock).toBe(TEST_BASE.clock); // the module's one clock, not a copy
  });

  describe('one-time prices and Stripe features', () => {
    const plans = { pro: { prices: { test: 'price_pro' }, lifetimePrices: { test: 'price_pro_life', live: 'price_pro_life_live' }, features: ['export'] } };

    it('looks up lifetime prices and credit packs by price, and knows the metrics credits feed', () => {
      const { catalog } = resolveEntitlementOptions(
        { plans, creditPacks: { exports_100: { name: '100 exports', prices: { test: ['price_pack', 'price_pack_b'] }, credits: { exports: 100, 'ai:tokens': 5 } } }, revokeLifetimeOnPartialRefund: true },
        TEST_BASE,
      );
      expect(catalog.oneTimeGrantOf('price_pro_life')).toMatchObject({ kind: 'lifetime', plan: { id: 'pro' } });
      expect(catalog.oneTimeGrantOf('price_pack_b')).toMatchObject({ kind: 'credits', pack: { id: 'exports_100', name: '100 exports', credits: { exports: 100, 'ai:tokens': 5 } } });
      expect(catalog.oneTimeGrantOf('price_pro')).toBeNull();
      expect(catalog.planOf({ priceId: 'price_pro_life', lookupKey: null })).toBeNull();
      expect([...catalog.creditMetrics]).toEqual(['exports', 'ai:tokens']);
      expect(catalog).toMatchObject({ sellsOnce: true, revokeLifetimeOnPartialRefund: true, featuresFrom: 'config' });
      expect(catalog.summaries()[0].lifetimePrices).toEqual(['price_pro_life']);
      expect(resolveEntitlementOptions({ plans: { pro: { prices: { test: 'p' } } } }, TEST_BASE).catalog.sellsOnce).toBe(false);
    });

    it('accepts a plan sold only for good', () => {
      const { catalog } = resolveEntitlementOptions({ plans: { founder: { lifetimePrices: { test: 'price_founder' } } } }, TEST_BASE);
      expect(catalog.oneTimeGrantOf('price_founder')).toMatchObject({ kind: 'lifetime', plan: { id: 'founder' } });
    });

    it('adds the declared Stripe features to what requirements may name', () => {
      const { catalog } = resolveEntitlementOptions({ plans, featuresFrom: 'both', stripeFeatures: ['sso'] }, TEST_BASE);
      expect([...catalog.features].sort()).toEqual(['export', 'sso']);
      expect(catalog).toMatchObject({ readsStripeFeatures: true, readsConfiguredFeatures: true });
      expect(resolveEntitlementOptions({ plans, featuresFrom: 'stripe', stripeFeatures: ['sso'] }, TEST_BASE).catalog.readsConfiguredFeatures).toBe(false);
    });

    it.each<[string, Record<string, unknown>, string, RegExp]>([
      ['a pack price that is a plan price', { plans, creditPacks: { p: { prices: { test: 'price_pro' }, credits: { exports: 1 } } } }, 'creditPacks.p', /repeats the price "price_pro" of plan "pro"/],
      ['a lifetime price shared by two plans', { plans: { ...plans, team: { lifetimePrices: { test: 'price_pro_life' } } } }, 'plans.team', /repeats the price "price_pro_life"/],
      ['a pack with no price', { creditPacks: { p: { prices: {}, credits: { exports: 1 } } } }, 'creditPacks.p.prices', /lists no price/],
      ['a pack with no credits', { creditPacks: { p: { prices: { test: 'x' }, credits: {} } } }, 'creditPacks.p.credits', /must name at least one metric/],
      ['fractional credits', { creditPacks: { p: { prices: { test: 'x' }, credits: { exports: 1.5 } } } }, 'creditPacks.p.credits.exports', /whole number >= 1/],
      ['credits of a name no metric can have', { creditPacks: { p: { prices: { test: 'x' }, credits: { 'storage (GB)': 5 } } } }, 'creditPacks.p.credits.storage (GB)', /not a metric name/],
      ['an unknown pack option', { creditPacks: { p: { prices: { test: 'x' }, credits: { a: 1 }, price: 'x' } } }, 'creditPacks.p.price', /not a credit pack option/],
      ['a pack name with a space', { creditPacks: { 'big pack': { prices: { test: 'x' }, credits: { a: 1 } } } }, 'creditPacks.big pack', /cannot carry/],
      ['creditPacks as a list', { creditPacks: [] }, 'creditPacks', /object of named credit packs/],
      ['an unknown feature source', { featuresFrom: 'products' }, 'featuresFrom', /'config', 'stripe' or 'both'/],
      ['Stripe features read from nowhere', { stripeFeatures: ['sso'] }, 'stripeFeatures', /featuresFrom is 'config'/],
      ['features from Stripe, none declared', { featuresFrom: 'stripe' }, 'stripeFeatures', /is empty while featuresFrom is 'stripe'/],
      ['a non-boolean revokeLifetimeOnPartialRefund', { revokeLifetimeOnPartialRefund: 'yes' }, 'revokeLifetimeOnPartialRefund', /true or false/],
    ])('refuses %s', (_name, options, option, problem) => {
      const error = refusal(options);
      expect(error.option).toBe(option);
      expect(error.message).toMatch(problem);
    });
  });
});
