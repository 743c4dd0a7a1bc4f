import { LitestripeConfigError } from '../errors/litestripe-config.error.js';
import { configRefusal } from './spec-helpers.js';
import type { LitestripeEntitlementOptions } from './entitlement-options.interface.js';
import { resolveEntitlementOptions } from './entitlement-options.validator.js';
import { DEFAULT_USAGE_METRIC, metricSettings } from './usage-options.js';
import type { UsageOptions, UsageRedisClient } from './usage-options.interface.js';
import { resolveUsageOptions } from './usage-options.validator.js';

const TEST_BASE = { secretKey: 'sk_test_51Unit', accountReferenceMetadataKey: 'client_reference_id', clock: { now: () => new Date(0) } };
const LIVE_BASE = { ...TEST_BASE, secretKey: 'rk_live_51Unit' };

const catalogOf = (plans: LitestripeEntitlementOptions['plans'], base = TEST_BASE) => resolveEntitlementOptions({ plans }, base).catalog;
/** Plans without metered prices. */
const PLAIN = catalogOf({ basic: { prices: { test: 'price_basic' }, limits: { api_calls: 100 } } });
/** A plan billing a meter in test mode. */
const METERED = catalogOf({ pro: { prices: { test: 'price_pro' }, meteredPrices: { test: 'price_pro_calls' }, limits: { api_calls: 1000 } } });
const REDIS: UsageRedisClient = { eval: async () => null, evalsha: async () => null };

function refusal(usage: unknown, catalog = PLAIN): LitestripeConfigError {
  return configRefusal(() => resolveUsageOptions(usage as UsageOptions, catalog));
}

describe('resolveUsageOptions', () => {
  it('fills in every default when usage is left out or empty', () => {
    for (const raw of [undefined, {}]) {
      const resolved = resolveUsageOptions(raw, PLAIN);
      expect(resolved).toEqual({
        metrics: new Map(),
        freeLimits: {},
        nearLimitRatio: 0.8,
        redis: null,
        redisKeyPrefix: 'litestripe:usage',
        meterReporting: { maxRequestsPerMinute: 3000, batchSize: 100, pollIntervalMs: 2000, retryBackoffMs: 1000, leaseMs: 30_000 },
      });
      expect(metricSettings(resolved, 'anything')).toEqual({ period: 'billing', perSeat: false, store: 'postgres', meter: null });
    }
  });

  it('keeps given values and defaults each metric setting on its own', () => {
    const resolved = resolveUsageOptions(
      {
        metrics: { api_calls: { store: 'redis', meter: 'api_calls' }, exports: { period: 'month', perSeat: true }, 'uploads.daily': { period: 'day' } },
        freeLimits: { api_calls: 100, exports: Infinity, uploads: 0 },
        nearLimitRatio: 1,
        redis: REDIS,
        redisKeyPrefix: 'app:usage',
        meterReporting: { batchSize: 10, leaseMs: 5000 },
      },
      METERED,
    );
    expect(resolved.metrics).toEqual(
      new Map([
        ['api_calls', { period: 'billing', perSeat: false, store: 'redis', meter: 'api_calls' }],
        ['exports', { period: 'month', perSeat: true, store: 'postgres', meter: null }],
        ['uploads.daily', { period: 'day', perSeat: false, store: 'postgres', meter: null }],
      ]),
    );
    expect(resolved).toMatchObject({ freeLimits: { api_calls: 100, exports: Infinity, uploads: 0 }, nearLimitRatio: 1, redis: REDIS, redisKeyPrefix: 'app:usage' });
    expect(resolved.meterReporting).toEqual({ maxRequestsPerMinute: 3000, batchSize: 10, pollIntervalMs: 2000, retryBackoffMs: 1000, leaseMs: 5000 });
    expect(metricSettings(resolved, 'exports')).toEqual({ period: 'month', perSeat: true, store: 'postgres', meter: null });
    expect(metricSettings(resolved, 'unlisted')).toBe(DEFAULT_USAGE_METRIC);
  });

  it.each<[string, unknown, string, RegExp]>([
    ['usage given as a string', 'yes', 'usage', /must be an object/],
    ['usage given as a list', [], 'usage', /must be an object/],
    ['an unknown usage option', { limits: { api_calls: 5 } }, 'usage.limits', /is not an option/],
    ['metrics given as a list', { metrics: ['api_calls'] }, 'usage.metrics', /object of metric settings/],
    ['a metric name with a space', { metrics: { 'api calls': {} } }, 'usage.metrics.api calls', /not a metric name/],
    ['a metric name of 101 characters', { metrics: { ['m'.repeat(101)]: {} } }, `usage.metrics.${'m'.repeat(101)}`, /not a metric name/],
    ['metric settings given as a string', { metrics: { api_calls: 'month' } }, 'usage.metrics.api_calls', /must be an object/],
    ['an unknown metric option', { metrics: { api_calls: { window: 'day' } } }, 'usage.metrics.api_calls.window', /is not a metric option/],
    ['a period of a week', { metrics: { api_calls: { period: 'week' } } }, 'usage.metrics.api_calls.period', /'billing', 'month' or 'day' \(got "week"\)/],
    ['a period in capitals', { metrics: { api_calls: { period: 'Month' } } }, 'usage.metrics.api_calls.period', /'billing', 'month' or 'day'/],
    ['an unknown store', { metrics: { api_calls: { store: 'memcached' } } }, 'usage.metrics.api_calls.store', /'postgres' or 'redis' \(got "memcached"\)/],
    ['the redis store without usage.redis', { metrics: { api_calls: { store: 'redis' } } }, 'usage.metrics.api_calls.store', /is 'redis' but usage.redis is not set/],
    ['a redis client without eval', { redis: { evalsha: async () => null } }, 'usage.redis', /ioredis client/],
    ['a redis URL instead of a client', { redis: 'redis://127.0.0.1:6379' }, 'usage.redis', /ioredis client/],
    ['perSeat given as text', { metrics: { exports: { perSeat: 'yes' } } }, 'usage.metrics.exports.perSeat', /true or false/],
    ['an empty meter name', { metrics: { api_calls: { meter: '' } } }, 'usage.metrics.api_calls.meter', /event_name/],
    ['a meter name with a space', { metrics: { api_calls: { meter: 'api calls' } } }, 'usage.metrics.api_calls.meter', /event_name/],
    ['a meter given as a number', { metrics: { api_calls: { meter: 5 } } }, 'usage.metrics.api_calls.meter', /event_name/],
    ['a nearLimitRatio of 0', { nearLimitRatio: 0 }, 'usage.nearLimitRatio', /above 0 and at most 1 \(got 0\)/],
    ['a nearLimitRatio above 1', { nearLimitRatio: 1.5 }, 'usage.nearLimitRatio', /above 0 and at most 1/],
    ['a negative nearLimitRatio', { nearLimitRatio: -0.2 }, 'usage.nearLimitRatio', /above 0 and at most 1/],
    ['a nearLimitRatio as text', { nearLimitRatio: '0.8' }, 'usage.nearLimitRatio', /above 0 and at most 1/],
    ['a nearLimitRatio of NaN', { nearLimitRatio: NaN }, 'usage.nearLimitRatio', /above 0 and at most 1/],
    ['an empty redisKeyPrefix', { redisKeyPrefix: '' }, 'usage.redisKeyPrefix', /non-empty string/],
    ['a redisKeyPrefix that is not a string', { redisKeyPrefix: 7 }, 'usage.redisKeyPrefix', /non-empty string/],
    ['freeLimits given as a list', { freeLimits: [100] }, 'usage.freeLimits', /object of numbers/],
    ['a negative free limit', { freeLimits: { api_calls: -1 } }, 'usage.freeLimits.api_calls', /number >= 0 \(got -1\)/],
    ['a free limit as text', { freeLimits: { api_calls: '100' } }, 'usage.freeLimits.api_calls', /number >= 0 \(got "100"\)/],
    ['a free limit of NaN', { freeLimits: { api_calls: NaN } }, 'usage.freeLimits.api_calls', /number >= 0/],
    ['a free limit of null', { freeLimits: { api_calls: null } }, 'usage.freeLimits.api_calls', /number >= 0/],
    ['a free limit whose name is no metric name', { freeLimits: { 'storage (GB)': 5 } }, 'usage.freeLimits.storage (GB)', /not a metric name/],
    ['meterReporting given as a number', { meterReporting: 100 }, 'usage.meterReporting', /must be an object/],
    ['an unknown meterReporting option', { meterReporting: { batch: 10 } }, 'usage.meterReporting.batch', /is not an option/],
    ['a batchSize of 0', { meterReporting: { batchSize: 0 } }, 'usage.meterReporting.batchSize', /positive whole number \(got 0\)/],
    ['a fractional maxRequestsPerMinute', { meterReporting: { maxRequestsPerMinute: 1.5 } }, 'usage.meterReporting.maxRequestsPerMinute', /positive whole number/],
    ['a negative pollIntervalMs', { meterReporting: { pollIntervalMs: -1 } }, 'usage.meterReporting.pollIntervalMs', /positive whole number/],
    ['a retryBackoffMs as text', { meterReporting: { retryBackoffMs: '1000' } }, 'usage.meterReporting.retryBackoffMs', /positive whole number/],
    ['a leaseMs of 0', { meterReporting: { leaseMs: 0 } }, 'usage.meterReporting.leaseMs', /positive whole number/],
  ])('refuses %s, naming the option', (_label, usage, option, problem) => {
    const error = refusal(usage, METERED);
    expect(error.option).toBe(option);
    expect(error.message).toContain(`Litestripe option "${option}"`);
    expect(error.message).toMatch(problem);
  });

  it('refuses a meter when no plan has a metered price in the module’s mode', () => {
    const usage = { metrics: { api_calls: { meter: 'api_calls' } } };
    const none = refusal(usage, PLAIN);
    expect(none.option).toBe('usage.metrics.api_calls.meter');
    expect(none.message).toMatch(/no plan has a metered price in this mode/);
    expect(none.message).toMatch(/meteredPrices/);
    // Metered prices of live mode only, in test mode: still none.
    const liveOnly = catalogOf({ pro: { prices: { test: 'price_pro', live: 'price_pro_l' }, meteredPrices: { live: 'price_calls_l' } } });
    expect(refusal(usage, liveOnly).option).toBe('usage.metrics.api_calls.meter');
    // ...but enough in live mode.
    const live = catalogOf({ pro: { prices: { live: 'price_pro_l' }, meteredPrices: { live: 'price_calls_l' } } }, LIVE_BASE);
    expect(resolveUsageOptions(usage, live).metrics.get('api_calls')?.meter).toBe('api_calls');
    expect(resolveUsageOptions(usage, METERED).metrics.get('api_calls')?.meter).toBe('api_calls');
  });

  it('accepts a redis store once usage.redis is given', () => {
    expect(resolveUsageOptions({ metrics: { hot: { store: 'redis' } }, redis: REDIS }, PLAIN).metrics.get('hot')?.store).toBe('redis');
  });
});

describe('plans.<plan>.meteredPrices (resolveEntitlementOptions)', () => {
  function planRefusal(plans: unknown, base = TEST_BASE): LitestripeConfigError {
    return configRefusal(() => resolveEntitlementOptions({ plans } as LitestripeEntitlementOptions, base));
  }

  it('lists the metered prices of the mode in the summaries and finds the plan by them', () => {
    const catalog = catalogOf({
      pro: { prices: { test: 'price_pro', live: 'price_pro_l' }, meteredPrices: { test: ['price_calls', 'price_storage'], live: 'price_calls_l' }, limits: { api_calls: 1000 } },
      basic: { prices: { test: 'price_basic' } },
    });
    expect(catalog.summaries()).toEqual([
      { id: 'pro', name: 'pro', prices: ['price_pro'], meteredPrices: ['price_calls', 'price_storage'], lifetimePrices: [], lookupKeys: [], features: [], limits: { api_calls: 1000 } },
      { id: 'basic', name: 'basic', prices: ['price_basic'], meteredPrices: [], lifetimePrices: [], lookupKeys: [], features: [], limits: {} },
    ]);
    expect(catalog.meteredPricesOf(catalog.get('pro')!)).toEqual(['price_calls', 'price_storage']);
    expect(catalog.planOf({ priceId: 'price_storage', lookupKey: null })?.id).toBe('pro');
    const live = catalogOf({ pro: { prices: { live: 'price_pro_l' }, meteredPrices: { test: 'price_calls', live: 'price_calls_l' } } }, LIVE_BASE);
    expect(live.meteredPricesOf(live.get('pro')!)).toEqual(['price_calls_l']);
  });

  it('still needs a licensed price or lookup key: metered prices alone are no plan', () => {
    const error = planRefusal({ pro: { meteredPrices: { test: 'price_calls' } } });
    expect(error.option).toBe('plans.pro');
    expect(error.message).toMatch(/no test-mode price and no lookup key/);
  });

  it.each<[string, unknown, string, RegExp]>([
    ['metered prices given as a list', { pro: { prices: { test: 'price_pro' }, meteredPrices: ['price_calls'] } }, 'plans.pro.meteredPrices', /\{ test\?, live\? \}/],
    ['metered prices given as a string', { pro: { prices: { test: 'price_pro' }, meteredPrices: 'price_calls' } }, 'plans.pro.meteredPrices', /\{ test\?, live\? \}/],
    ['an unknown mode', { pro: { prices: { test: 'price_pro' }, meteredPrices: { prod: 'price_calls' } } }, 'plans.pro.meteredPrices', /\{ test\?, live\? \}/],
    ['a metered price with a stray space', { pro: { prices: { test: 'price_pro' }, meteredPrices: { test: ' price_calls' } } }, 'plans.pro.meteredPrices.test', /surrounding spaces/],
    ['an empty metered price', { pro: { prices: { test: 'price_pro' }, meteredPrices: { live: [''] } } }, 'plans.pro.meteredPrices.live', /non-empty/],
    ['a metered price repeated in one list', { pro: { prices: { test: 'price_pro' }, meteredPrices: { test: ['price_calls', 'price_calls'] } } }, 'plans.pro.meteredPrices.test', /repeats an entry/],
    [
      'a metered price that is another plan’s price',
      { basic: { prices: { test: 'price_basic' } }, pro: { prices: { test: 'price_pro' }, meteredPrices: { test: 'price_basic' } } },
      'plans.pro',
      /repeats the price "price_basic" of plan "basic"/,
    ],
    [
      'a metered price of two plans',
      { basic: { prices: { test: 'price_basic' }, meteredPrices: { test: 'price_calls' } }, pro: { prices: { test: 'price_pro' }, meteredPrices: { test: 'price_calls' } } },
      'plans.pro',
      /repeats the price "price_calls" of plan "basic"/,
    ],
    ['a metered price that is the plan’s own licensed price', { pro: { prices: { test: 'price_pro' }, meteredPrices: { test: 'price_pro' } } }, 'plans.pro', /repeats the price "price_pro"/],
  ])('refuses %s, naming the option', (_label, plans, option, problem) => {
    const error = planRefusal(plans);
    expect(error.option).toBe(option);
    expect(error.message).toContain(`Litestripe option "${option}"`);
    expect(error.message).toMatch(problem);
  });

  it('names meteredPrices among the plan options when a plan option is misspelt', () => {
    const error = planRefusal({ pro: { prices: { test: 'price_pro' }, meteredPrice: { test: 'price_calls' } } });
    expect(error.option).toBe('plans.pro.meteredPrice');
    expect(error.message).toMatch(/meteredPrices/);
  });
});
