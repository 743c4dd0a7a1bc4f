import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { queryRows } from '../common/query-rows.js';

/** How long `record()`'s idempotency keys, and metered use once reported, are kept: past Stripe's 35-day window for meter event timestamps. */
export const USAGE_KEY_RETENTION_DAYS = 35;

/** The retention job's usage step: idempotency keys and reported meter events older than the window. Counters are kept (no personal data, one row per period). */
@Injectable()
export class UsageRetention {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async purgeBefore(before: Date): Promise<number> {
    const [row] = await queryRows<{ removed: string }>(
      this.dataSource,
      `WITH keys AS (DELETE FROM litestripe_usage_record WHERE "recorded_at" < $1 RETURNING 1),
            reported AS (DELETE FROM litestripe_meter_event WHERE "reported_at" < $1 RETURNING 1)
       SELECT (SELECT count(*) FROM keys) + (SELECT count(*) FROM reported) AS removed`,
      [before],
    );
    return Number(row.removed);
  }
}
