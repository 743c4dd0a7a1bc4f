import type { MeterReportingOptions, UsagePeriodKind, UsageRedisClient } from './usage-options.interface.js';

/** One metric's settings after validation. */
export interface ResolvedUsageMetric {
  period: UsagePeriodKind;
  perSeat: boolean;
  store: 'postgres' | 'redis';
  meter: string | null;
}

/** The `usage` option after validation, with every default filled in. */
export interface ResolvedUsageOptions {
  /** Settings of the metrics the options name; others get {@link DEFAULT_USAGE_METRIC}. */
  metrics: ReadonlyMap<string, ResolvedUsageMetric>;
  freeLimits: Readonly<Record<string, number>>;
  nearLimitRatio: number;
  redis: UsageRedisClient | null;
  redisKeyPrefix: string;
  meterReporting: Required<MeterReportingOptions>;
}

export const DEFAULT_USAGE_METRIC: ResolvedUsageMetric = Object.freeze({ period: 'billing', perSeat: false, store: 'postgres', meter: null });

export const METER_REPORTING_DEFAULTS: Required<MeterReportingOptions> = {
  maxRequestsPerMinute: 3000,
  batchSize: 100,
  pollIntervalMs: 2000,
  retryBackoffMs: 1000,
  leaseMs: 30_000,
};

/** Metric names: what a Redis key, a log line and a JSON body carry without escaping. */
export const METRIC_NAME = /^[A-Za-z0-9_.:-]{1,100}$/;

/** Injection token of {@link ResolvedUsageOptions}. */
export const LITESTRIPE_USAGE_OPTIONS = Symbol('LITESTRIPE_USAGE_OPTIONS');

export function metricSettings(options: ResolvedUsageOptions, metric: string): ResolvedUsageMetric {
  return options.metrics.get(metric) ?? DEFAULT_USAGE_METRIC;
}
