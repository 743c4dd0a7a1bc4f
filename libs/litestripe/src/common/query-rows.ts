import { DataSource, EntityManager } from 'typeorm';

/**
 * Runs SQL and returns the rows: in the manager's transaction, or on a pooled connection of the
 * data source. TypeORM's `query()` answers an UPDATE with `[rows, count]` but an INSERT or SELECT
 * with rows; the structured result is the same for all.
 */
export async function queryRows<Row = Record<string, unknown>>(on: EntityManager | DataSource, sql: string, params: unknown[]): Promise<Row[]> {
  if (on instanceof DataSource) {
    const runner = on.createQueryRunner();
    try {
      return (await runner.query(sql, params, true)).records as Row[];
    } finally {
      await runner.release();
    }
  }
  if (!on.queryRunner) throw new Error('queryRows with an EntityManager must run inside a transaction');
  return (await on.queryRunner.query(sql, params, true)).records as Row[];
}
