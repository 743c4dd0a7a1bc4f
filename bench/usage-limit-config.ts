/** What bench/usage-limit-host.ts configures, shared with bench/usage-limit.ts. */
export const USAGE_BENCH = {
  /** Counted in PostgreSQL (the default store). */
  pgMetric: 'api_calls_pg',
  /** Counted in Redis (`store: 'redis'`). */
  redisMetric: 'api_calls_redis',
  /** The plan's limit of both metrics: nothing is refused during a run. */
  limit: 1e12,
} as const;
