import { EntityManager } from 'typeorm';

/**
 * Runs SQL in the manager's transaction and returns the rows. TypeORM's `manager.query` answers
 * an UPDATE with `[rows, count]` but an INSERT or SELECT with rows; the structured result is uniform.
 */
export async function queryRows<Row = Record<string, unknown>>(manager: EntityManager, sql: string, params: unknown[]): Promise<Row[]> {
  const runner = manager.queryRunner;
  if (!runner) throw new Error('queryRows must run inside a transaction');
  const result = await runner.query(sql, params, true);
  return result.records as Row[];
}
