import type { DirectQuery } from '../common/direct-query.js';
import type { LitestripeClock } from '../common/litestripe-clock.interface.js';
import { systemClock } from '../common/clock.js';
import { storedLimit, UsageCounterKey, UsageStore } from './usage-store.js';

// $6 is the limit, null for unlimited: the insert of a first use and the update of a counter both
// check it, and the row lock ON CONFLICT takes makes the check and the addition one step.
const CONSUME = `
INSERT INTO litestripe_usage AS u (subject, metric, period_start, period_end, used)
SELECT $1::text, $2::text, $3::timestamptz, $4::timestamptz, $5::bigint WHERE $6::bigint IS NULL OR $5::bigint <= $6::bigint
ON CONFLICT (subject, metric, period_start) DO UPDATE SET used = u.used + EXCLUDED.used, updated_at = now()
WHERE $6::bigint IS NULL OR u.used + EXCLUDED.used <= $6::bigint
RETURNING used`;

// A key already recorded inserts nothing into litestripe_usage_record, and then nothing is added.
const ADD = `
WITH recorded AS (
  INSERT INTO litestripe_usage_record (subject, metric, idempotency_key, quantity, recorded_at)
  SELECT $1::text, $2::text, $6::text, $5::bigint, $7::timestamptz WHERE $6::text IS NOT NULL
  ON CONFLICT DO NOTHING RETURNING 1
), added AS (
  INSERT INTO litestripe_usage AS u (subject, metric, period_start, period_end, used)
  SELECT $1::text, $2::text, $3::timestamptz, $4::timestamptz, $5::bigint WHERE $6::text IS NULL OR EXISTS (SELECT 1 FROM recorded)
  ON CONFLICT (subject, metric, period_start) DO UPDATE SET used = u.used + EXCLUDED.used, updated_at = now()
  RETURNING used
)
SELECT used FROM added`;

const RELEASE = `UPDATE litestripe_usage SET used = GREATEST(used - $4::bigint, 0), updated_at = now() WHERE subject = $1 AND metric = $2 AND period_start = $3`;

const USED = `SELECT used FROM litestripe_usage WHERE subject = $1 AND metric = $2 AND period_start = $3`;

/** Counts in the module's database (`litestripe_usage`): one statement per use, prepared once per connection. */
export class PostgresUsageStore implements UsageStore {
  constructor(
    private readonly query: DirectQuery,
    /** The module's clock: a key's `recorded_at`, which the retention job compares with that clock. */
    private readonly clock: LitestripeClock = systemClock,
  ) {}

  async consume(key: UsageCounterKey, cost: number, limit: number): Promise<{ granted: boolean; used: number }> {
    const rows = await this.query(CONSUME, [...keyValues(key), key.period.end, cost, storedLimit(limit)], 'litestripe_usage_consume');
    if (rows.length > 0) return { granted: true, used: Number(rows[0].used) };
    return { granted: false, used: await this.used(key) };
  }

  async add(key: UsageCounterKey, quantity: number, idempotencyKey: string | null): Promise<{ used: number; duplicate: boolean }> {
    const rows = await this.query(ADD, [...keyValues(key), key.period.end, quantity, idempotencyKey, this.clock.now()], 'litestripe_usage_add');
    if (rows.length > 0) return { used: Number(rows[0].used), duplicate: false };
    return { used: await this.used(key), duplicate: true };
  }

  async release(key: UsageCounterKey, cost: number): Promise<void> {
    await this.query(RELEASE, [...keyValues(key), cost], 'litestripe_usage_release');
  }

  async used(key: UsageCounterKey): Promise<number> {
    const rows = await this.query(USED, keyValues(key), 'litestripe_usage_used');
    return rows.length > 0 ? Number(rows[0].used) : 0;
  }
}

function keyValues(key: UsageCounterKey): [string, string, Date] {
  return [key.subject, key.metric, key.period.start];
}
