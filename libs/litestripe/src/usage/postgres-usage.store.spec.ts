import { DataSource } from 'typeorm';
import { testDatabaseUrl, typeOrmOptions } from '../../../../test/support/test-database';
import { directQuery } from '../common/direct-query.js';
import { PostgresUsageStore } from './postgres-usage.store.js';
import type { UsageCounterKey } from './usage-store.js';
import { counter, PERIOD, storeContract } from './test-support/usage-store.contract.js';

/**
 * PostgresUsageStore against the worker's real database (migrated, `litestripe_usage` and
 * `litestripe_usage_record`). The table of cases is the one redis-usage.store.spec.ts runs against
 * the Redis store: both stores must count alike. Each case counts under subjects of its own.
 */

describe('PostgresUsageStore', () => {
  let dataSource: DataSource;
  let query: ReturnType<typeof directQuery>;

  beforeAll(async () => {
    dataSource = await new DataSource(typeOrmOptions(await testDatabaseUrl())).initialize();
    query = directQuery(dataSource);
  });
  afterAll(() => dataSource?.destroy());

  const stored = async (key: UsageCounterKey): Promise<number | null> => {
    const rows = await dataSource.query(`SELECT used FROM litestripe_usage WHERE subject = $1 AND metric = $2 AND period_start = $3`, [key.subject, key.metric, key.period.start]);
    return rows.length === 0 ? null : Number(rows[0].used);
  };

  describe('the table of cases both stores pass', () => {
    storeContract(() => ({ store: new PostgresUsageStore(query), stored }));
  });

  it('stores one row per counter with its period, and the idempotency key with its quantity', async () => {
    const store = new PostgresUsageStore(query);
    const key = counter();
    await store.consume(key, 2, 10);
    await store.add(key, 3, 'job-7');
    expect(await dataSource.query(`SELECT period_start, period_end, used FROM litestripe_usage WHERE subject = $1`, [key.subject])).toEqual([
      { period_start: PERIOD.start, period_end: PERIOD.end, used: '5' },
    ]);
    expect(await dataSource.query(`SELECT metric, idempotency_key, quantity FROM litestripe_usage_record WHERE subject = $1`, [key.subject])).toEqual([
      { metric: 'api_calls', idempotency_key: 'job-7', quantity: '3' },
    ]);
  });
});
