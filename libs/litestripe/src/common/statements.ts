import { EntityManager } from 'typeorm';
import { queryRows } from './query-rows.js';

/** One SQL statement and its parameters (`$1`, `$2`... of its own). */
export interface Statement {
  sql: string;
  params: unknown[];
}

/**
 * Runs data-modifying statements in the caller's transaction as one: `WITH s0 AS (…), s1 AS (…)
 * SELECT 1`, one round trip whatever their number, each statement's parameters renumbered after
 * the previous ones'. They must touch different rows: they all see the snapshot taken before any of them.
 */
export async function runAsOne(manager: EntityManager, statements: readonly (Statement | null)[]): Promise<void> {
  const parts = statements.filter((statement): statement is Statement => statement !== null);
  if (parts.length === 0) return;
  if (parts.length === 1) {
    await queryRows(manager, parts[0].sql, parts[0].params);
    return;
  }
  const params: unknown[] = [];
  const ctes = parts.map((part, i) => {
    const offset = params.length;
    params.push(...part.params);
    return `s${i} AS (${part.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`)})`;
  });
  await queryRows(manager, `WITH ${ctes.join(', ')} SELECT 1`, params);
}
