import { DataSource } from 'typeorm';

/**
 * Runs one statement on a pooled connection and returns its rows. Given a `name`, the statement is
 * prepared once per connection and then only bound and executed: no SQL text sent, parsed or
 * planned again (for statements run once per request).
 */
export type DirectQuery = (sql: string, values: unknown[], name?: string) => Promise<Record<string, unknown>[]>;

/** What is used of the `pg` pool TypeORM's postgres driver keeps as `master`. */
interface QueryablePool {
  query(config: { text: string; values: unknown[]; name?: string }): Promise<{ rows: Record<string, unknown>[] }>;
}

/**
 * Hot paths (a guarded request's lookup, the webhook's one write) query the `pg` pool behind the
 * DataSource directly: no query runner per statement. A custom driver (embedded PGlite) serializes
 * its one session through query runners, so there it goes through the DataSource.
 */
export function directQuery(dataSource: DataSource): DirectQuery {
  const driver = dataSource.options.type === 'postgres' && !dataSource.options.driver ? (dataSource.driver as { master?: Partial<QueryablePool> }) : null;
  const pool = typeof driver?.master?.query === 'function' ? (driver.master as QueryablePool) : null;
  if (pool) return async (text, values, name) => (await pool.query({ text, values, name })).rows;
  return async (sql, values) => {
    const result: unknown = await dataSource.query(sql, values);
    // TypeORM answers an UPDATE or a DELETE with [rows, count].
    return (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number' ? result[0] : result) as Record<string, unknown>[];
  };
}
