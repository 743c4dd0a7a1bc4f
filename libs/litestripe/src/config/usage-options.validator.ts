import { LitestripeConfigError } from '../errors/litestripe-config.error.js';
import type { PlanCatalog } from './plan-catalog.js';
import { METER_REPORTING_DEFAULTS, METRIC_NAME, ResolvedUsageMetric, ResolvedUsageOptions } from './usage-options.js';
import type { MeterReportingOptions, UsageMetricOptions, UsageOptions, UsagePeriodKind } from './usage-options.interface.js';
import { validateTuning } from './validate-options.js';

const METRIC_KEYS = new Set(['period', 'perSeat', 'store', 'meter']);
const USAGE_KEYS = new Set(['metrics', 'freeLimits', 'nearLimitRatio', 'redis', 'redisKeyPrefix', 'meterReporting']);
const METER_EVENT_NAME = /^[A-Za-z0-9_.:-]{1,100}$/;

/** Checks the `usage` option against the plans and fills in defaults. */
export function resolveUsageOptions(raw: UsageOptions | undefined, catalog: PlanCatalog): ResolvedUsageOptions {
  if (raw !== undefined && !isObject(raw as unknown)) fail('usage', 'must be an object', 'Leave it out for usage limits from the plans with the default settings.');
  const given: UsageOptions = raw ?? {};
  const unknown = Object.keys(given).find((key) => !USAGE_KEYS.has(key));
  if (unknown) fail(`usage.${unknown}`, 'is not an option', `Known: ${[...USAGE_KEYS].join(', ')}.`);
  const metrics = readMetrics(given.metrics);
  const redis = given.redis ?? null;
  if (redis !== null && (typeof redis.eval !== 'function' || typeof redis.evalsha !== 'function')) {
    fail('usage.redis', 'must be an ioredis client (it needs eval and evalsha)', 'Give new Redis(url) from ioredis, connected to the Redis the instances share.');
  }
  const onRedis = [...metrics].find(([, settings]) => settings.store === 'redis');
  if (onRedis && !redis) fail(`usage.metrics.${onRedis[0]}.store`, "is 'redis' but usage.redis is not set", 'Give usage.redis (an ioredis client), or count the metric in PostgreSQL.');
  const ratio = given.nearLimitRatio ?? 0.8;
  if (typeof ratio !== 'number' || !(ratio > 0 && ratio <= 1)) fail('usage.nearLimitRatio', `must be a number above 0 and at most 1 (got ${JSON.stringify(ratio)})`, 'Leave it out for 0.8.');
  const prefix = given.redisKeyPrefix ?? 'litestripe:usage';
  if (typeof prefix !== 'string' || prefix === '') fail('usage.redisKeyPrefix', 'must be a non-empty string', "Leave it out for 'litestripe:usage'.");
  for (const [name, settings] of metrics) {
    if (settings.meter && !catalog.plans.some((plan) => catalog.meteredPricesOf(plan).length > 0)) {
      fail(`usage.metrics.${name}.meter`, 'is set but no plan has a metered price in this mode', 'Add the meter\'s price to the plans that bill it: plans.<plan>.meteredPrices.');
    }
  }
  const freeLimits = readLimitTable('usage.freeLimits', given.freeLimits);
  const badName = Object.keys(freeLimits).find((name) => !METRIC_NAME.test(name));
  if (badName !== undefined) fail(`usage.freeLimits.${badName}`, 'is not a metric name', 'Use letters, digits, _ . : and - (at most 100), as @UsageLimit() names them.');
  return {
    metrics,
    freeLimits,
    nearLimitRatio: ratio,
    redis,
    redisKeyPrefix: prefix,
    meterReporting: validateTuning<MeterReportingOptions>('usage.meterReporting', given.meterReporting, METER_REPORTING_DEFAULTS),
  };
}

function readMetrics(metrics: unknown): Map<string, ResolvedUsageMetric> {
  if (metrics === undefined) return new Map();
  if (!isObject(metrics)) fail('usage.metrics', 'must be an object of metric settings', "Write metrics: { api_calls: { period: 'month' } }.");
  return new Map(
    Object.entries(metrics as Record<string, UsageMetricOptions>).map(([name, settings]) => {
      const option = `usage.metrics.${name}`;
      if (!METRIC_NAME.test(name)) fail(option, 'has a name that is not a metric name', 'Use letters, digits, _ . : and - (at most 100).');
      if (!isObject(settings as unknown)) fail(option, 'must be an object', "Give { period?, perSeat?, store?, meter? }.");
      const unknown = Object.keys(settings).find((key) => !METRIC_KEYS.has(key));
      if (unknown) fail(`${option}.${unknown}`, 'is not a metric option', `Use ${[...METRIC_KEYS].join(', ')}.`);
      const period: UsagePeriodKind = settings.period ?? 'billing';
      if (!['billing', 'month', 'day'].includes(period)) fail(`${option}.period`, `must be 'billing', 'month' or 'day' (got ${JSON.stringify(period)})`, "Leave it out for 'billing'.");
      const store = settings.store ?? 'postgres';
      if (store !== 'postgres' && store !== 'redis') fail(`${option}.store`, `must be 'postgres' or 'redis' (got ${JSON.stringify(store)})`, "Leave it out for 'postgres'.");
      if (settings.perSeat !== undefined && typeof settings.perSeat !== 'boolean') fail(`${option}.perSeat`, 'must be true or false', 'Leave it out for false.');
      const meter: string | null = settings.meter ?? null;
      if (meter !== null && (typeof meter !== 'string' || !METER_EVENT_NAME.test(meter))) {
        fail(`${option}.meter`, `must be a Stripe meter's event_name (got ${JSON.stringify(meter)})`, 'Copy the event name of the meter from the Stripe Dashboard (Billing > Meters).');
      }
      return [name, { period, perSeat: settings.perSeat ?? false, store, meter }] as const;
    }),
  );
}

/** A table of limits, as plans' `limits` and `usage.freeLimits` are written. */
export function readLimitTable(option: string, limits: unknown): Record<string, number> {
  if (limits === undefined) return {};
  if (!isObject(limits)) fail(option, 'must be an object of numbers', 'Write limits: { projects: 10 }.');
  for (const [name, value] of Object.entries(limits as object)) {
    if (typeof value !== 'number' || Number.isNaN(value) || value < 0) fail(`${option}.${name}`, `must be a number >= 0 (got ${JSON.stringify(value)})`, 'Use Infinity for unlimited.');
  }
  return { ...(limits as Record<string, number>) };
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(option: string, problem: string, remedy: string): never {
  throw new LitestripeConfigError(option, problem, remedy);
}
