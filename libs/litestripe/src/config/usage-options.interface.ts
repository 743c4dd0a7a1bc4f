/** How the period a use is counted in is found: see {@link UsageMetricOptions.period}. */
export type UsagePeriodKind = 'billing' | 'month' | 'day';

/**
 * How one metric is counted. Metrics need no entry here: a name in a plan's `limits` (or a
 * `@UsageLimit()`) is counted with these defaults.
 * @example
 * api_calls: { period: 'billing', store: 'redis', meter: 'api_calls' },
 * exports: { period: 'month', perSeat: true },
 */
export interface UsageMetricOptions {
  /**
   * The period use is counted in, after which it starts again from zero. `billing`: the billing
   * period of the subscription that grants the limit (a calendar month for an account without one);
   * `month` / `day`: the calendar month or day, in UTC.
   * @default 'billing'
   */
  period?: UsagePeriodKind;

  /** The plan's limit is per seat: multiplied by the subscription's quantity. @default false */
  perSeat?: boolean;

  /**
   * Where the metric is counted. `postgres`: the module's database, one statement that adds and
   * checks. `redis`: the client given as `usage.redis`, for hot metrics (see the README on what a
   * Redis without persistence loses on a restart).
   * @default 'postgres'
   */
  store?: 'postgres' | 'redis';

  /**
   * The `event_name` of a Stripe Billing Meter: `record()` of this metric also reports the use to
   * Stripe (`billing.meterEvents.create`), durably and at most once per use, for the metered price
   * of the subscription that grants the limit (`plans.<plan>.meteredPrices`).
   */
  meter?: string;
}

/**
 * The part of an ioredis client the Redis usage store needs (ioredis' `Redis` and `Cluster` fit).
 * Give one connected client; the module does not close it.
 */
export interface UsageRedisClient {
  evalsha(sha: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
}

/** Reporting of metered use to Stripe Billing Meters, paced apart from the ordinary API budget. */
export interface MeterReportingOptions {
  /**
   * Meter events sent per minute, across instances when `rateLimitStorage` is shared. Stripe's
   * meter event endpoint has its own limit, far above the ordinary API's.
   * @default 3000
   */
  maxRequestsPerMinute?: number;
  /** Uses taken per pass of the reporter. @default 100 */
  batchSize?: number;
  /** How often each instance looks for uses to report (it also starts right after a `record()`). @default 2000 */
  pollIntervalMs?: number;
  /** First wait after a failed report, doubled per attempt up to ten minutes. @default 1000 */
  retryBackoffMs?: number;
  /** How long an instance holds the uses it is reporting before another may take them. @default 30000 */
  leaseMs?: number;
}

/**
 * Usage limits and metered billing (module option `usage`). Limits themselves are the plans'
 * `limits` (per plan, `Infinity` for unlimited).
 * @example
 * usage: {
 *   metrics: { api_calls: { store: 'redis', meter: 'api_calls' } },
 *   freeLimits: { api_calls: 100 },
 *   redis: new Redis(process.env.REDIS_URL),
 * }
 */
export interface UsageOptions {
  /** Per-metric settings. @default {} */
  metrics?: Record<string, UsageMetricOptions>;
  /**
   * Limits of an account with no entitling subscription (a free tier). A metric not listed here is
   * not granted to such accounts: a `@UsageLimit()` route answers them as `@RequiresSubscription()` would.
   * @default {}
   */
  freeLimits?: Record<string, number>;
  /** Share of the limit (0 to 1) from which a check says `nearLimit`. @default 0.8 */
  nearLimitRatio?: number;
  /** The Redis client of metrics with `store: 'redis'`. */
  redis?: UsageRedisClient;
  /** Key prefix of the Redis store. @default 'litestripe:usage' */
  redisKeyPrefix?: string;
  /** Reporting of metered metrics to Stripe. */
  meterReporting?: MeterReportingOptions;
}
