import { Client } from 'pg';
import { withClient } from '../../support/postgres-databases';
import { ExpectedRow, Model } from './model';
import { sleep } from './sender';

/** What the database says after a scenario, compared with the model. */

export interface RowCheck {
  rows: number;
  expected: number;
  mismatches: string[];
}

export async function compareRows(url: string, model: Model): Promise<RowCheck> {
  const rows = await withClient(url, async (c) => (await c.query('SELECT * FROM litestripe_subscription')).rows);
  const byId = new Map(rows.map((row) => [row.id as string, row]));
  const mismatches: string[] = [];
  for (const { expected } of model.subscriptions) {
    const row = byId.get(expected.id);
    if (!row) {
      mismatches.push(`${expected.id}: no row`);
      continue;
    }
    const actual: ExpectedRow = {
      id: row.id,
      customerId: row.customer_id,
      accountRef: row.account_ref,
      status: row.status,
      quantity: row.quantity,
      cancelAtPeriodEnd: row.cancel_at_period_end,
      periodEnd: row.current_period_end ? Math.round(new Date(row.current_period_end).getTime() / 1000) : NaN,
      latestPaymentStatus: row.latest_payment_status,
      latestInvoiceId: row.latest_invoice_id,
    };
    for (const key of Object.keys(expected) as (keyof ExpectedRow)[]) {
      if (actual[key] !== expected[key]) mismatches.push(`${expected.id}.${key}: ${JSON.stringify(actual[key])}, expected ${JSON.stringify(expected[key])}`);
    }
  }
  return { rows: rows.length, expected: model.subscriptions.length, mismatches };
}

export interface DeliveryCheck {
  /** Distinct payload ids in the outbox. */
  outbox: number;
  undelivered: number;
  /** Outbox ids the listener never recorded. */
  lost: string[];
  /** Payload ids recorded more than once. */
  doubled: string[];
  /** Recorded ids that are not in the outbox. */
  unknown: string[];
  /** Distinct payload ids by domain event name. */
  byName: Record<string, number>;
  /** Outbox entries dispatched more than once before they were marked delivered (listener failures). */
  retried: number;
  /**
   * Each doubled id's story: `id: A +Δms (called +Δms) → B +Δms (called +Δms) after the entry's transaction began; attempts n, marked +Δms`
   * (`created_at` is the transaction's start; the entry's lease runs from its INSERT).
   */
  doubledDetail: Map<string, string>;
  /**
   * Outbox entries written by more than one committed transaction, with their story: the Stripe
   * event behind them was applied twice (by two inbox batches, or by a batch and an inline delivery).
   */
  writtenTwice: Map<string, string>;
  /** First delivery time of each doubled payload id (the database's clock). */
  firstDelivery: Map<string, Date>;
  /**
   * From the listener's first record to `delivered_at` on the outbox entry, ms: median and 99th
   * percentile. `delivered_at` is the module's clock (the system clock in these hosts), the listener's
   * record PostgreSQL's: one machine, one clock here.
   */
  markLagMs: { p50: number; p99: number };
}

export async function checkDeliveries(url: string): Promise<DeliveryCheck> {
  return withClient(url, async (c) => {
    const outbox = (await c.query('SELECT id, name, delivered_at, attempts FROM litestripe_outbox')).rows as { id: string; name: string; delivered_at: Date | null; attempts: number }[];
    const recorded = (await c.query('SELECT payload_id, count(*)::int AS n FROM chaos_delivery GROUP BY payload_id')).rows as { payload_id: string; n: number }[];
    const counts = new Map(recorded.map((r) => [r.payload_id, r.n]));
    const ids = new Set(outbox.map((r) => r.id));
    const byName: Record<string, number> = {};
    for (const row of outbox) byName[row.name] = (byName[row.name] ?? 0) + 1;
    const doubled = recorded.filter((r) => r.n > 1).map((r) => r.payload_id);
    const first = (await c.query('SELECT payload_id, min(delivered_at) AS at FROM chaos_delivery WHERE payload_id = ANY($1) GROUP BY payload_id', [doubled])).rows;
    const detail = (
      await c.query(
        `SELECT d.payload_id, o.attempts, array_agg(d.instance ORDER BY d.delivered_at) AS instances,
                array_agg(round(extract(epoch FROM d.delivered_at - o.created_at) * 1000) ORDER BY d.delivered_at) AS at_ms,
                array_agg(round(extract(epoch FROM d.called_at - o.created_at) * 1000) ORDER BY d.delivered_at) AS called_ms,
                round(extract(epoch FROM o.delivered_at - o.created_at) * 1000) AS marked_ms,
                (SELECT count(*)::int FROM litestripe_outbox b WHERE b.created_at = o.created_at) AS written_with
         FROM chaos_delivery d JOIN litestripe_outbox o ON o.id = d.payload_id
         WHERE d.payload_id = ANY($1) GROUP BY d.payload_id, o.attempts, o.created_at, o.delivered_at`,
        [doubled],
      )
    ).rows.map((r): [string, string] => [
      r.payload_id,
      `${r.payload_id}: ${r.instances.map((instance: string, i: number) => `${instance} +${r.at_ms[i]}ms (called +${r.called_ms[i]}ms)`).join(' → ')} after the entry's transaction began (${r.written_with} entries written in it); attempts ${r.attempts}, marked +${r.marked_ms}ms`,
    ]);
    // Entries written by more than one committed transaction (support/cluster.ts traces the writes): a Stripe event applied twice.
    const writes = (
      await c.query(
        `SELECT w.id, count(DISTINCT w.txid)::int AS transactions,
                array_agg(round(extract(epoch FROM w.written_at - o.created_at) * 1000) ORDER BY w.written_at) AS written_ms
         FROM chaos_outbox_write w JOIN litestripe_outbox o ON o.id = w.id
         GROUP BY w.id, o.created_at HAVING count(DISTINCT w.txid) > 1`,
      )
    ).rows;
    const twice = new Map<string, string>(
      writes.map((w) => [w.id as string, `written by ${w.transactions} transactions, at ${w.written_ms.map((ms: string) => `+${ms}ms`).join(', ')} after the first began`]),
    );
    const writtenTwice = new Map([...twice].map(([id, story]) => [id, `${id}: ${story}`]));
    for (const story of detail) {
      if (twice.has(story[0])) story[1] += `; ${twice.get(story[0])}`;
    }
    const [lag] = (
      await c.query(
        `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99
         FROM (SELECT extract(epoch FROM o.delivered_at - min(d.delivered_at)) * 1000 AS ms
               FROM litestripe_outbox o JOIN chaos_delivery d ON d.payload_id = o.id GROUP BY o.id, o.delivered_at) AS lags`,
      )
    ).rows;
    return {
      outbox: ids.size,
      undelivered: outbox.filter((r) => r.delivered_at === null).length,
      lost: [...ids].filter((id) => !counts.has(id)),
      doubled,
      doubledDetail: new Map(detail),
      writtenTwice,
      unknown: recorded.filter((r) => !ids.has(r.payload_id)).map((r) => r.payload_id),
      byName,
      retried: outbox.filter((r) => r.attempts > 1).length,
      firstDelivery: new Map(first.map((r) => [r.payload_id as string, r.at as Date])),
      markLagMs: { p50: Math.round(Number(lag?.p50 ?? 0)), p99: Math.round(Number(lag?.p99 ?? 0)) },
    };
  });
}

/** Waits until every outbox entry is delivered (or kept as failed); returns how many are still open. */
export async function waitForOutboxDrained(url: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  return withClient(url, async (c) => {
    for (;;) {
      const open = await countOpen(c);
      if (open === 0 || Date.now() > deadline) return open;
      await sleep(250);
    }
  });
}

async function countOpen(c: Client): Promise<number> {
  const { rows } = await c.query('SELECT count(*)::int AS n FROM litestripe_outbox WHERE delivered_at IS NULL');
  return rows[0].n;
}

/** The database server's clock. */
export async function databaseNow(url: string): Promise<Date> {
  return withClient(url, async (c) => (await c.query('SELECT clock_timestamp() AS now')).rows[0].now as Date);
}

/** Undelivered outbox entries right now (e.g. just after a kill). */
export async function undeliveredIds(url: string): Promise<string[]> {
  return withClient(url, async (c) => (await c.query('SELECT id FROM litestripe_outbox WHERE delivered_at IS NULL')).rows.map((r) => r.id as string));
}

/** Rows in each of the module's tables (`litestripe_*`). */
export async function litestripeRowCounts(url: string): Promise<Record<string, number>> {
  return withClient(url, async (c) => {
    const tables = (await c.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'litestripe%' ORDER BY 1`)).rows;
    const counts: Record<string, number> = {};
    for (const { table_name } of tables) counts[table_name] = (await c.query(`SELECT count(*)::int AS n FROM "${table_name}"`)).rows[0].n;
    return counts;
  });
}

/** The event log: outcome of each distinct Stripe event. */
export async function eventOutcomes(url: string): Promise<Record<string, number>> {
  return withClient(url, async (c) => {
    const { rows } = await c.query('SELECT outcome, count(*)::int AS n FROM litestripe_event GROUP BY outcome');
    return Object.fromEntries(rows.map((r) => [r.outcome, r.n]));
  });
}

export async function orphanEmails(url: string): Promise<string[]> {
  return withClient(url, async (c) => (await c.query('SELECT email FROM litestripe_orphaned_payment ORDER BY email')).rows.map((r) => r.email as string));
}

/** Waits until no event is pending in the inbox (deferred mode); returns how many still are. */
export async function waitForInboxApplied(url: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  return withClient(url, async (c) => {
    for (;;) {
      const { rows } = await c.query(`SELECT count(*)::int AS n FROM litestripe_event WHERE outcome = 'pending'`);
      if (rows[0].n === 0 || Date.now() > deadline) return rows[0].n as number;
      await sleep(250);
    }
  });
}

/** The inbox right now (e.g. just after a kill): every pending event, and the leased ones with their lease's end. */
export interface InboxSnapshot {
  pending: number;
  pendingIds: Set<string>;
  /** Pending events under a lease (not an applier's short release or a retry's backoff): id → the lease's end. */
  leased: Map<string, Date>;
}

export async function inboxSnapshot(url: string, leaseMs: number): Promise<InboxSnapshot> {
  return withClient(url, async (c) => {
    // A lease ends `leaseMs` after its claim; anything ending sooner than a tenth of that from now is
    // a release (another applier held the key, 50 ms) or a retry's backoff, not a batch in progress.
    const { rows } = await c.query(
      `SELECT id, available_at, available_at > clock_timestamp() + make_interval(secs => $1::float8 / 10000) AND attempts = 0 AS leased
       FROM litestripe_event WHERE outcome = 'pending'`,
      [leaseMs],
    );
    return { pending: rows.length, pendingIds: new Set(rows.map((r) => r.id as string)), leased: new Map(rows.filter((r) => r.leased).map((r) => [r.id as string, r.available_at as Date])) };
  });
}

/**
 * Polls (one connection, every 10 ms) until at least `atLeast` of the given events are pending in the
 * inbox, or `giveUp()` says so; returns the last count.
 */
export async function waitForPending(url: string, ids: readonly string[], atLeast: number, giveUp: () => boolean): Promise<number> {
  return withClient(url, async (c) => {
    for (;;) {
      const { rows } = await c.query(`SELECT count(*)::int AS n FROM litestripe_event WHERE outcome = 'pending' AND id = ANY($1)`, [ids]);
      if (rows[0].n >= atLeast || giveUp()) return rows[0].n as number;
      await sleep(10);
    }
  });
}

/** Each given event's outcome and when it was applied. */
export async function eventStates(url: string, ids: readonly string[]): Promise<Map<string, { outcome: string; processedAt: Date | null }>> {
  return withClient(url, async (c) => {
    const { rows } = await c.query('SELECT id, outcome, processed_at FROM litestripe_event WHERE id = ANY($1)', [ids]);
    return new Map(rows.map((r) => [r.id as string, { outcome: r.outcome as string, processedAt: r.processed_at as Date | null }]));
  });
}

/** One event's row in the event log. */
export async function eventRow(url: string, id: string): Promise<{ outcome: string; attempts: number; lastError: string | null } | null> {
  return withClient(url, async (c) => {
    const { rows } = await c.query('SELECT outcome, attempts, last_error FROM litestripe_event WHERE id = $1', [id]);
    return rows[0] ? { outcome: rows[0].outcome, attempts: rows[0].attempts, lastError: rows[0].last_error } : null;
  });
}

/** From the webhook's write (`received_at`) to the apply (`processed_at`) of the applied events, ms: median and 99th percentile. */
export async function applyLag(url: string): Promise<{ p50: number; p99: number }> {
  return withClient(url, async (c) => {
    const { rows } = await c.query(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99
       FROM (SELECT extract(epoch FROM processed_at - received_at) * 1000 AS ms FROM litestripe_event WHERE outcome = 'processed') AS lags`,
    );
    return { p50: Math.round(Number(rows[0]?.p50 ?? 0)), p99: Math.round(Number(rows[0]?.p99 ?? 0)) };
  });
}
