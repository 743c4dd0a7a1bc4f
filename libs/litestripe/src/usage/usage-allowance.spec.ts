import type { AccountSubscription } from '../access/account-entitlement.js';
import { resolveEntitlementOptions } from '../config/entitlement-options.validator.js';
import { DEFAULT_USAGE_METRIC, ResolvedUsageMetric } from '../config/usage-options.js';
import type { StripeSubscription } from '../entities/stripe-subscription.entity.js';
import { allowanceOf } from './usage-allowance.js';
import { usageCheck } from './usage-check.js';

const BASE = { secretKey: 'sk_test_51Unit', accountReferenceMetadataKey: 'client_reference_id', clock: { now: () => new Date(0) } };
const { catalog } = resolveEntitlementOptions(
  {
    plans: {
      basic: { prices: { test: 'price_basic' }, limits: { api_calls: 100, exports: 10 } },
      pro: { prices: { test: 'price_pro' }, limits: { api_calls: 1000, exports: 50 } },
      unlimited: { prices: { test: 'price_unl' }, limits: { api_calls: Infinity } },
      // Lists no api_calls: grants none of it.
      storage: { prices: { test: 'price_storage' }, limits: { gigabytes: 5 } },
      founder: { lifetimePrices: { test: 'price_founder' }, limits: { api_calls: 500 } },
    },
  },
  BASE,
);

const NOW = new Date('2031-12-31T23:00:00Z');
const BILLING: ResolvedUsageMetric = DEFAULT_USAGE_METRIC;
const PER_SEAT: ResolvedUsageMetric = { ...DEFAULT_USAGE_METRIC, perSeat: true };
const DAILY: ResolvedUsageMetric = { ...DEFAULT_USAGE_METRIC, period: 'day' };

let counter = 0;
/** One of the account's subscriptions, decided: entitled unless said otherwise. */
function decided(plan: string | null, options: { quantity?: number | null; entitled?: boolean; start?: string; end?: string } = {}): AccountSubscription {
  counter++;
  const subscription = {
    id: `sub_${counter}`,
    customerId: `cus_${counter}`,
    quantity: options.quantity === undefined ? 1 : options.quantity,
    currentPeriodStart: new Date(options.start ?? '2031-12-10T00:00:00Z'),
    currentPeriodEnd: new Date(options.end ?? '2032-01-10T00:00:00Z'),
  } as StripeSubscription;
  const entitled = options.entitled ?? true;
  return { subscription, plan, access: { entitled, reason: entitled ? 'active' : 'canceled', until: null, endsAt: null, graceEndsAt: null } };
}

describe('allowanceOf', () => {
  it('takes the granting subscription’s plan limit, billing period, plan, seats and customer', () => {
    const sub = decided('basic', { start: '2031-12-20T10:00:00Z', end: '2032-01-20T10:00:00Z' });
    expect(allowanceOf('api_calls', [sub], BILLING, {}, catalog, NOW)).toEqual({
      metric: 'api_calls',
      limit: 100,
      source: 'plan',
      period: { start: new Date('2031-12-20T10:00:00Z'), end: new Date('2032-01-20T10:00:00Z') },
      plan: 'basic',
      seats: 1,
      subscriptionId: sub.subscription.id,
      customerId: sub.subscription.customerId,
    });
  });

  it('takes the most generous of several entitling subscriptions, in whichever order they come, with that one’s period', () => {
    const basic = decided('basic', { start: '2031-12-01T00:00:00Z', end: '2032-01-01T00:00:00Z' });
    const pro = decided('pro', { start: '2031-12-15T00:00:00Z', end: '2032-01-15T00:00:00Z' });
    for (const order of [
      [basic, pro],
      [pro, basic],
    ]) {
      const allowance = allowanceOf('api_calls', order, BILLING, {}, catalog, NOW);
      expect(allowance).toMatchObject({ limit: 1000, source: 'plan', plan: 'pro', subscriptionId: pro.subscription.id, customerId: pro.subscription.customerId });
      expect(allowance.period).toEqual({ start: pro.subscription.currentPeriodStart, end: pro.subscription.currentPeriodEnd });
    }
  });

  it('keeps the first (most relevant) of equally generous subscriptions', () => {
    const first = decided('basic');
    const second = decided('basic');
    expect(allowanceOf('api_calls', [first, second], BILLING, {}, catalog, NOW).subscriptionId).toBe(first.subscription.id);
  });

  it('multiplies a per-seat limit by the quantity, so more seats on a smaller plan can win', () => {
    const basicTeam = decided('basic', { quantity: 3 });
    expect(allowanceOf('api_calls', [basicTeam], PER_SEAT, {}, catalog, NOW)).toMatchObject({ limit: 300, seats: 3, plan: 'basic' });
    // Not per seat: the quantity is reported, not multiplied.
    expect(allowanceOf('api_calls', [basicTeam], BILLING, {}, catalog, NOW)).toMatchObject({ limit: 100, seats: 3 });
    const bigBasic = decided('basic', { quantity: 20 });
    const soloPro = decided('pro', { quantity: 1 });
    expect(allowanceOf('api_calls', [soloPro, bigBasic], PER_SEAT, {}, catalog, NOW)).toMatchObject({ limit: 2000, plan: 'basic', seats: 20, subscriptionId: bigBasic.subscription.id });
    expect(allowanceOf('api_calls', [soloPro, bigBasic], BILLING, {}, catalog, NOW)).toMatchObject({ limit: 1000, plan: 'pro', seats: 1 });
  });

  it('grants nothing per seat to a subscription of 0 seats, even on an unlimited plan', () => {
    expect(allowanceOf('api_calls', [decided('unlimited', { quantity: 0 })], PER_SEAT, {}, catalog, NOW)).toMatchObject({ limit: 0, seats: 0, plan: 'unlimited' });
    expect(allowanceOf('api_calls', [decided('pro', { quantity: 0 })], PER_SEAT, {}, catalog, NOW)).toMatchObject({ limit: 0, seats: 0 });
    // Another subscription with seats still wins.
    expect(allowanceOf('api_calls', [decided('unlimited', { quantity: 0 }), decided('basic', { quantity: 2 })], PER_SEAT, {}, catalog, NOW)).toMatchObject({ limit: 200, plan: 'basic' });
    // Not per seat: the plan's limit, whatever the quantity.
    expect(allowanceOf('api_calls', [decided('unlimited', { quantity: 0 })], BILLING, {}, catalog, NOW)).toMatchObject({ limit: Infinity });
  });

  it('counts a subscription without a quantity as one seat', () => {
    expect(allowanceOf('api_calls', [decided('pro', { quantity: null })], PER_SEAT, {}, catalog, NOW)).toMatchObject({ limit: 1000, seats: 1 });
  });

  it('keeps Infinity unlimited, per seat too, and lets it win', () => {
    const unlimited = decided('unlimited', { quantity: 4 });
    expect(allowanceOf('api_calls', [decided('pro'), unlimited], PER_SEAT, {}, catalog, NOW)).toMatchObject({ limit: Infinity, plan: 'unlimited', seats: 4 });
    const check = usageCheck(allowanceOf('api_calls', [unlimited], BILLING, {}, catalog, NOW), 1_000_000, 0.8);
    expect(check).toMatchObject({ limit: Infinity, remaining: Infinity, nearLimit: false, overLimit: false });
  });

  it('grants 0 from an entitling plan that does not list the metric, or a price in no plan', () => {
    expect(allowanceOf('api_calls', [decided('storage')], BILLING, { api_calls: 50 }, catalog, NOW)).toMatchObject({ limit: 0, source: 'plan', plan: 'storage' });
    expect(allowanceOf('api_calls', [decided(null)], BILLING, {}, catalog, NOW)).toMatchObject({ limit: 0, source: 'plan', plan: null });
  });

  it('lets a route’s own limit replace the plans’ (still per seat), for subscribers and for everyone else', () => {
    expect(allowanceOf('api_calls', [decided('pro')], BILLING, {}, catalog, NOW, 5)).toMatchObject({ limit: 5, source: 'route', plan: 'pro' });
    expect(allowanceOf('api_calls', [decided('pro', { quantity: 3 })], PER_SEAT, {}, catalog, NOW, 5)).toMatchObject({ limit: 15, source: 'route', seats: 3 });
    // Without a subscription, the route's limit also replaces the free limit, or its absence.
    expect(allowanceOf('api_calls', [], BILLING, { api_calls: 50 }, catalog, NOW, 7)).toMatchObject({ limit: 7, source: 'route', plan: null, seats: null });
    expect(allowanceOf('api_calls', [], BILLING, {}, catalog, NOW, 7)).toMatchObject({ limit: 7, source: 'route' });
    expect(allowanceOf('api_calls', [], BILLING, {}, catalog, NOW, 0)).toMatchObject({ limit: 0, source: 'route' });
  });

  it('gives an account without an entitling subscription the free limit, in the calendar month for billing metrics', () => {
    expect(allowanceOf('api_calls', [], BILLING, { api_calls: 50 }, catalog, NOW)).toEqual({
      metric: 'api_calls',
      limit: 50,
      source: 'free',
      period: { start: new Date('2031-12-01T00:00:00Z'), end: new Date('2032-01-01T00:00:00Z') },
      plan: null,
      seats: null,
      subscriptionId: null,
      customerId: null,
    });
    expect(allowanceOf('api_calls', [], DAILY, { api_calls: 50 }, catalog, NOW).period).toEqual({ start: new Date('2031-12-31T00:00:00Z'), end: new Date('2032-01-01T00:00:00Z') });
    expect(allowanceOf('api_calls', [], PER_SEAT, { api_calls: 50 }, catalog, NOW)).toMatchObject({ limit: 50, seats: null });
    expect(allowanceOf('api_calls', [], BILLING, { api_calls: Infinity }, catalog, NOW)).toMatchObject({ limit: Infinity, source: 'free' });
    expect(allowanceOf('api_calls', [], BILLING, { api_calls: 0 }, catalog, NOW)).toMatchObject({ limit: 0, source: 'free' });
  });

  it('says none when nothing grants the metric to an account without an entitling subscription', () => {
    expect(allowanceOf('api_calls', [], BILLING, { exports: 5 }, catalog, NOW)).toMatchObject({ limit: 0, source: 'none', plan: null, subscriptionId: null, customerId: null });
  });

  it('ignores subscriptions that do not entitle, however generous their plan', () => {
    const canceledPro = decided('pro', { entitled: false });
    expect(allowanceOf('api_calls', [canceledPro], BILLING, { api_calls: 50 }, catalog, NOW)).toMatchObject({ limit: 50, source: 'free', subscriptionId: null });
    expect(allowanceOf('api_calls', [canceledPro], BILLING, {}, catalog, NOW)).toMatchObject({ source: 'none', limit: 0 });
    const basic = decided('basic');
    expect(allowanceOf('api_calls', [canceledPro, basic], BILLING, {}, catalog, NOW)).toMatchObject({ limit: 100, plan: 'basic', subscriptionId: basic.subscription.id });
  });
});

describe('usageCheck', () => {
  const allowance = allowanceOf('api_calls', [decided('basic')], BILLING, {}, catalog, NOW);

  it.each<[number, number, boolean, boolean]>([
    [0, 100, false, false],
    [79, 21, false, false],
    [80, 20, true, false],
    [99, 1, true, false],
    [100, 0, true, true],
    [130, 0, true, true],
  ])('used %i of 100: remaining %i, nearLimit %s, overLimit %s', (used, remaining, nearLimit, overLimit) => {
    expect(usageCheck(allowance, used, 0.8)).toEqual({
      metric: 'api_calls',
      used,
      credits: 0,
      limit: 100,
      remaining,
      periodStart: allowance.period.start,
      periodEnd: allowance.period.end,
      nearLimit,
      overLimit,
      source: 'plan',
      plan: 'basic',
      seats: 1,
    });
  });

  it('rounds a fractional limit down to whole units', () => {
    expect(usageCheck({ ...allowance, limit: 2.5 }, 2, 0.8)).toMatchObject({ limit: 2, remaining: 0, overLimit: true });
  });
});

describe('allowanceOf with lifetime plans', () => {
  it('grants a lifetime plan its limit, counted in calendar months for a billing metric, when it is the most generous', () => {
    expect(allowanceOf('api_calls', [decided('basic')], BILLING, {}, catalog, NOW, undefined, ['founder'])).toMatchObject({
      limit: 500,
      source: 'plan',
      plan: 'founder',
      seats: null,
      subscriptionId: null,
      period: { start: new Date('2031-12-01T00:00:00Z'), end: new Date('2032-01-01T00:00:00Z') },
    });
    expect(allowanceOf('api_calls', [decided('pro')], BILLING, {}, catalog, NOW, undefined, ['founder'])).toMatchObject({ limit: 1000, plan: 'pro' });
    expect(allowanceOf('api_calls', [], BILLING, { api_calls: 3 }, catalog, NOW, undefined, ['founder'])).toMatchObject({ limit: 500, source: 'plan' });
    expect(allowanceOf('api_calls', [], BILLING, {}, catalog, NOW, 7, ['founder'])).toMatchObject({ limit: 7, source: 'route', plan: 'founder' });
  });
});

describe('usageCheck with credits', () => {
  const allowance = () => allowanceOf('api_calls', [decided('basic')], BILLING, {}, catalog, NOW);
  it('adds credits to what remains, and is neither near nor over the limit while credits are left', () => {
    expect(usageCheck(allowance(), 100, 0.8, 40)).toMatchObject({ used: 100, limit: 100, credits: 40, remaining: 40, nearLimit: false, overLimit: false });
    expect(usageCheck(allowance(), 100, 0.8, 0)).toMatchObject({ remaining: 0, nearLimit: true, overLimit: true });
    expect(usageCheck(allowance(), 10, 0.8)).toMatchObject({ credits: 0, remaining: 90 });
  });
});
