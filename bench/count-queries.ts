import pg from 'pg';

/**
 * Preloaded (`node -r`) into a server process by `webhook-throughput --count-queries`: counts
 * every statement sent through `pg` (each `Client.query` is one round trip to PostgreSQL) and
 * the shape of each transaction, labelled with the event type its claim statement carries.
 * The parent talks to it over the IPC channel: `reset` before the measured phase, `report` after.
 * It costs a map update per statement, so leave it off when the figures matter.
 */

export interface QueryCountReport {
  type: 'query-counts';
  statements: [string, number][];
  transactions: [string, number][];
  total: number;
}

const statements = new Map<string, number>();
const transactions = new Map<string, number>();
const open = new WeakMap<object, { label: string; steps: string[] }>();
let total = 0;

/** A short, parameter-free name for a statement: `INSERT litestripe_event ON CONFLICT`, `SELECT litestripe_subscription FOR UPDATE`, ... */
export function statementKind(sql: string): string {
  const text = sql.replace(/\s+/g, ' ').trim();
  let match: RegExpMatchArray | null;
  if ((match = /^(START TRANSACTION|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT)\b/i.exec(text))) return match[1].toUpperCase();
  if ((match = /^INSERT INTO "?(\w+)"?/i.exec(text))) return `INSERT ${match[1]}${/ON CONFLICT/i.test(text) ? ' ON CONFLICT' : ''}`;
  if ((match = /^UPDATE "?(\w+)"?/i.exec(text))) return `UPDATE ${match[1]}`;
  if ((match = /^DELETE FROM "?(\w+)"?/i.exec(text))) return `DELETE ${match[1]}`;
  if ((match = /^SELECT .*? FROM "?(\w+)"?/i.exec(text))) return `SELECT ${match[1]}${/FOR UPDATE/i.test(text) ? ' FOR UPDATE' : ''}`;
  return text.slice(0, 60);
}

const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

const original = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(this: pg.Client, ...args: unknown[]) {
  const config = args[0] as string | { text?: unknown } | undefined;
  const sql = typeof config === 'string' ? config : typeof config?.text === 'string' ? config.text : null;
  if (sql !== null) {
    total += 1;
    const kind = statementKind(sql);
    bump(statements, kind);
    if (kind === 'START TRANSACTION' || kind === 'BEGIN') {
      open.set(this, { label: '', steps: [kind] });
    } else {
      const transaction = open.get(this);
      if (transaction) {
        transaction.steps.push(kind);
        const params = args[1];
        if (kind.startsWith('INSERT litestripe_event') && Array.isArray(params) && typeof params[1] === 'string') transaction.label = params[1];
        if (kind === 'COMMIT' || kind === 'ROLLBACK') {
          bump(transactions, `${transaction.label || '(no claim)'}: ${transaction.steps.join(' > ')}`);
          open.delete(this);
        }
      } else {
        bump(transactions, `(outside a transaction): ${kind}`);
      }
    }
  }
  return (original as (...a: unknown[]) => unknown).apply(this, args);
} as typeof pg.Client.prototype.query;

process.on('message', (message: { cmd?: string }) => {
  if (message?.cmd === 'reset') {
    statements.clear();
    transactions.clear();
    total = 0;
    process.send?.({ type: 'query-counts-reset' });
  } else if (message?.cmd === 'report') {
    const report: QueryCountReport = { type: 'query-counts', statements: [...statements], transactions: [...transactions], total };
    process.send?.(report);
  }
});
