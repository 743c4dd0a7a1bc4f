import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull, Not } from 'typeorm';
import { DomainEventOutboxEntry } from '../../entities/domain-event-outbox.entity.js';
import { queryRows } from '../../common/query-rows.js';
import { Statement } from '../../common/statements.js';
import { MAX_STORED_ERROR_LENGTH } from '../../common/describe-error.js';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../../config/resolved-options.js';
import { daysBefore } from '../../common/clock.js';
import type { QueueStatus } from '../../common/queue-status.js';

export interface OutboxRecord {
  id: string;
  name: string;
  payload: unknown;
  stripeEventId: string;
}

/** How far the depth is counted (at every destination): a count that must stay cheap however deep the outbox is. */
export const DEPTH_COUNTED_UP_TO = 10_000;

/**
 * The outbox table's SQL. Taking entries is an atomic lease, so one instance dispatches an entry at a time.
 *
 * Two clocks, each for its own purpose: leases and retry backoff (`available_at`) are durations
 * measured on PostgreSQL's clock, the one every instance shares, and are only ever compared with it.
 * Delivery times and retention are dates of the module's clock (option `clock`), so moving that
 * clock moves retention with every other decision.
 */
@Injectable()
export class OutboxRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LITESTRIPE_OPTIONS) private readonly options: ResolvedLitestripeOptions,
  ) {}

  /**
   * The statements that record entries in the caller's transaction (none for no entries): leased to
   * this instance for `leaseMs` from the moment they are written, for its dispatch right after
   * commit, or delivered already when there is no in-process bus; and one publication per broker.
   */
  insertStatements(records: readonly OutboxRecord[], leaseMs: number): Statement[] {
    if (records.length === 0) return [];
    const ids = records.map((r) => r.id);
    const brokers = this.options.brokers.map((broker) => broker.name);
    const entries: Statement = {
      sql: `INSERT INTO litestripe_outbox ("id", "name", "payload", "stripe_event_id", "available_at", "delivered_at")
            SELECT id, name, payload::json, stripe_event_id, clock_timestamp() + make_interval(secs => $5::float8 / 1000), $6::timestamptz
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS e(id, name, payload, stripe_event_id, position)
            ORDER BY position
            ON CONFLICT ("id") DO NOTHING`,
      params: [ids, records.map((r) => r.name), records.map((r) => JSON.stringify(r.payload)), records.map((r) => r.stripeEventId), leaseMs, this.options.inProcessEvents ? null : this.options.clock.now()],
    };
    if (brokers.length === 0) return [entries];
    const publications: Statement = {
      sql: `INSERT INTO litestripe_outbox_publication ("outbox_id", "destination")
            SELECT e.id, d.destination FROM unnest($1::text[]) WITH ORDINALITY AS e(id, position) CROSS JOIN unnest($2::text[]) AS d(destination)
            ORDER BY e.position, d.destination
            ON CONFLICT DO NOTHING`,
      params: [ids, brokers],
    };
    return [entries, publications];
  }

  /** Leases up to `limit` due entries to this instance; rows another instance is taking are skipped. */
  async leaseDue(limit: number, leaseMs: number, skipIds: readonly string[] = []): Promise<DomainEventOutboxEntry[]> {
    const rows = await queryRows(
      this.dataSource,
      `UPDATE litestripe_outbox SET "available_at" = now() + make_interval(secs => $2::float8 / 1000)
       WHERE "id" IN (
         SELECT "id" FROM litestripe_outbox
         WHERE "delivered_at" IS NULL AND "failed_at" IS NULL AND "available_at" <= now() AND NOT ("id" = ANY($3::text[]))
         ORDER BY "available_at" LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING "id", "name", "payload", "stripe_event_id", "attempts"`,
      [limit, leaseMs, skipIds],
    );
    return rows.map((row) =>
      Object.assign(new DomainEventOutboxEntry(), { id: row.id, name: row.name, payload: row.payload, stripeEventId: row.stripe_event_id, attempts: row.attempts }),
    );
  }

  async markDelivered(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.dataSource.query(
      `UPDATE litestripe_outbox SET "delivered_at" = $2, "attempts" = "attempts" + 1, "last_error" = NULL WHERE "id" = ANY($1::text[])`,
      [ids, this.options.clock.now()],
    );
  }

  /** Counts a failed attempt: back off exponentially, or keep the entry as failed once attempts run out. */
  async markFailed(id: string, error: string, maxAttempts: number, backoffMs: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE litestripe_outbox SET
         "attempts" = "attempts" + 1,
         "last_error" = $2,
         "available_at" = now() + make_interval(secs => $4::float8 * power(2, "attempts") / 1000),
         "failed_at" = CASE WHEN "attempts" + 1 >= $3 THEN now() END
       WHERE "id" = $1`,
      [id, error.slice(0, MAX_STORED_ERROR_LENGTH), maxAttempts, backoffMs],
    );
  }

  listFailed(limit: number): Promise<DomainEventOutboxEntry[]> {
    return this.dataSource.getRepository(DomainEventOutboxEntry).find({ where: { failedAt: Not(IsNull()) }, order: { failedAt: 'ASC' }, take: limit });
  }

  /** Makes failed entries (all, or the given ids) due again with a fresh count of attempts. */
  async retryFailed(ids?: readonly string[]): Promise<number> {
    const rows = await queryRows(
      this.dataSource,
      `UPDATE litestripe_outbox SET "failed_at" = NULL, "attempts" = 0, "available_at" = now()
       WHERE "failed_at" IS NOT NULL AND ($1::text[] IS NULL OR "id" = ANY($1::text[])) RETURNING "id"`,
      [ids ?? null],
    );
    return rows.length;
  }

  /**
   * Entries waiting for delivery, counted up to `cap` (a bound needs no exact count past it), how
   * long the oldest due one has waited since it came due, and failed ones. An entry leased to an
   * instance or backing off after a failure is waiting but not yet due, so it adds no lag.
   */
  async status(cap = DEPTH_COUNTED_UP_TO): Promise<QueueStatus> {
    const [row] = await queryRows(
      this.dataSource,
      `SELECT (SELECT count(*) FROM (SELECT 1 FROM litestripe_outbox WHERE "delivered_at" IS NULL AND "failed_at" IS NULL LIMIT $1) AS w) AS depth,
              (SELECT coalesce(extract(epoch FROM now() - min("available_at")) * 1000, 0) FROM litestripe_outbox
               WHERE "delivered_at" IS NULL AND "failed_at" IS NULL AND "available_at" <= now()) AS lag_ms,
              (SELECT count(*) FROM litestripe_outbox WHERE "failed_at" IS NOT NULL) AS failed`,
      [cap],
    );
    return { depth: Number(row.depth), lagMs: Math.max(0, Math.round(Number(row.lag_ms))), failed: Number(row.failed) };
  }

  /** Deletes entries delivered more than `retentionDays` ago (to the in-process bus and every broker); returns how many. */
  async purgeDelivered(retentionDays: number): Promise<number> {
    const [, deleted]: [unknown, number] = await this.dataSource.query(
      `DELETE FROM litestripe_outbox o WHERE o."delivered_at" < $1
       AND NOT EXISTS (SELECT 1 FROM litestripe_outbox_publication p WHERE p."outbox_id" = o."id" AND (p."delivered_at" IS NULL OR p."delivered_at" >= $1))`,
      [daysBefore(this.options.clock, retentionDays)],
    );
    return deleted;
  }
}
