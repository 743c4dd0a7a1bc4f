import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainEventOutboxEntry } from '../../entities/domain-event-outbox.entity.js';
import { queryRows } from '../../common/query-rows.js';
import { MAX_STORED_ERROR_LENGTH } from '../../common/describe-error.js';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../../config/resolved-options.js';
import type { QueueStatus } from '../../common/queue-status.js';
import { DEPTH_COUNTED_UP_TO } from './outbox.repository.js';

/** An outbox entry leased for publishing to one broker. */
export interface LeasedPublication {
  id: string;
  name: string;
  payload: Record<string, unknown>;
  stripeEventId: string;
  sequence: string;
  recordedAt: Date;
  attempts: number;
}

const UNDELIVERED = `"delivered_at" IS NULL AND "failed_at" IS NULL`;

/**
 * The SQL of the brokers' delivered marks (litestripe_outbox_publication), one row per entry and broker.
 *
 * One instance publishes to a broker at a time, so a broker gets one subscription's events in the
 * order they were recorded whatever the number of instances: a lease is taken only while no other
 * lease on that broker runs (checked under an advisory lock on the broker's name). A lease that
 * runs out (its instance died) lets another instance publish the entries again, in order.
 * Leases and backoff are durations on PostgreSQL's clock; delivery times are the module's clock.
 */
@Injectable()
export class PublicationRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LITESTRIPE_OPTIONS) private readonly options: ResolvedLitestripeOptions,
  ) {}

  /** Leases up to `limit` due entries of the broker, oldest first; none while another lease on it runs. */
  lease(destination: string, limit: number, leaseMs: number): Promise<LeasedPublication[]> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext('litestripe_outbox_publication'), hashtext($1))`, [destination]);
      const rows = await queryRows(
        manager,
        `UPDATE litestripe_outbox_publication p SET "leased_until" = now() + make_interval(secs => $3::float8 / 1000)
         FROM litestripe_outbox o
         WHERE o."id" = p."outbox_id" AND p."destination" = $1 AND p."outbox_id" IN (
           SELECT "outbox_id" FROM litestripe_outbox_publication
           WHERE "destination" = $1 AND ${UNDELIVERED} AND "available_at" <= now() AND ("leased_until" IS NULL OR "leased_until" <= now())
           ORDER BY "sequence" LIMIT $2)
         AND NOT EXISTS (SELECT 1 FROM litestripe_outbox_publication WHERE "destination" = $1 AND "leased_until" > now())
         RETURNING p."outbox_id", p."sequence" AS "order", p."attempts", o."name", o."payload", o."stripe_event_id", o."sequence", o."created_at"`,
        [destination, limit, leaseMs],
      );
      return rows
        .sort((a, b) => Number(BigInt(a.order as string) - BigInt(b.order as string)))
        .map((row) => ({
          id: row.outbox_id as string,
          name: row.name as string,
          payload: row.payload as Record<string, unknown>,
          stripeEventId: row.stripe_event_id as string,
          sequence: String(row.sequence),
          recordedAt: new Date(row.created_at as string),
          attempts: row.attempts as number,
        }));
    });
  }

  async markDelivered(destination: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.dataSource.query(
      `UPDATE litestripe_outbox_publication SET "delivered_at" = $3, "leased_until" = NULL, "attempts" = "attempts" + 1, "last_error" = NULL
       WHERE "destination" = $1 AND "outbox_id" = ANY($2::text[])`,
      [destination, ids, this.options.clock.now()],
    );
  }

  /** Counts a failed attempt of each entry, with its error: back off exponentially, or keep it as failed once attempts run out. */
  async markFailed(destination: string, failures: readonly { id: string; error: string }[], maxAttempts: number, backoffMs: number): Promise<void> {
    if (failures.length === 0) return;
    await this.dataSource.query(
      `UPDATE litestripe_outbox_publication p SET
         "attempts" = p."attempts" + 1,
         "last_error" = f.error,
         "leased_until" = NULL,
         "available_at" = now() + make_interval(secs => $5::float8 * power(2, p."attempts") / 1000),
         "failed_at" = CASE WHEN p."attempts" + 1 >= $4 THEN now() END
       FROM unnest($2::text[], $3::text[]) AS f(id, error)
       WHERE p."destination" = $1 AND p."outbox_id" = f.id`,
      [destination, failures.map(({ id }) => id), failures.map(({ error }) => error.slice(0, MAX_STORED_ERROR_LENGTH)), maxAttempts, backoffMs],
    );
  }

  /** Hands entries back without counting an attempt: the broker was unreachable, not the entries at fault. */
  async release(destination: string, ids: readonly string[], error: string): Promise<void> {
    if (ids.length === 0) return;
    await this.dataSource.query(
      `UPDATE litestripe_outbox_publication SET "leased_until" = NULL, "last_error" = $3 WHERE "destination" = $1 AND "outbox_id" = ANY($2::text[])`,
      [destination, ids, error.slice(0, MAX_STORED_ERROR_LENGTH)],
    );
  }

  /** As `OutboxRepository.status`, for one broker. */
  async status(destination: string, cap = DEPTH_COUNTED_UP_TO): Promise<QueueStatus> {
    const [row] = await queryRows(
      this.dataSource,
      `SELECT (SELECT count(*) FROM (SELECT 1 FROM litestripe_outbox_publication WHERE "destination" = $1 AND ${UNDELIVERED} LIMIT $2) AS w) AS depth,
              (SELECT coalesce(extract(epoch FROM now() - min(greatest("available_at", coalesce("leased_until", "available_at")))) * 1000, 0) FROM litestripe_outbox_publication
               WHERE "destination" = $1 AND ${UNDELIVERED} AND "available_at" <= now() AND ("leased_until" IS NULL OR "leased_until" <= now())) AS lag_ms,
              (SELECT count(*) FROM litestripe_outbox_publication WHERE "destination" = $1 AND "failed_at" IS NOT NULL) AS failed`,
      [destination, cap],
    );
    return { depth: Number(row.depth), lagMs: Math.max(0, Math.round(Number(row.lag_ms))), failed: Number(row.failed) };
  }

  /** Entries kept as failed at this broker, oldest first: each with the broker's attempts, error and times. */
  async listFailed(destination: string, limit: number): Promise<DomainEventOutboxEntry[]> {
    const rows = await queryRows(
      this.dataSource,
      `SELECT o."id", o."name", o."payload", o."stripe_event_id", o."sequence", o."created_at", p."available_at", p."attempts", p."delivered_at", p."failed_at", p."last_error"
       FROM litestripe_outbox_publication p JOIN litestripe_outbox o ON o."id" = p."outbox_id"
       WHERE p."destination" = $1 AND p."failed_at" IS NOT NULL ORDER BY p."failed_at" LIMIT $2`,
      [destination, limit],
    );
    return rows.map((row) =>
      Object.assign(new DomainEventOutboxEntry(), {
        id: row.id,
        name: row.name,
        payload: row.payload,
        stripeEventId: row.stripe_event_id,
        sequence: String(row.sequence),
        createdAt: new Date(row.created_at as string),
        availableAt: new Date(row.available_at as string),
        attempts: row.attempts,
        deliveredAt: null,
        failedAt: new Date(row.failed_at as string),
        lastError: row.last_error,
      }),
    );
  }

  /** Makes the broker's failed entries (all, or these ids) due again with a fresh count of attempts. */
  async retryFailed(destination: string, ids?: readonly string[]): Promise<number> {
    const rows = await queryRows(
      this.dataSource,
      `UPDATE litestripe_outbox_publication SET "failed_at" = NULL, "attempts" = 0, "available_at" = now()
       WHERE "destination" = $1 AND "failed_at" IS NOT NULL AND ($2::text[] IS NULL OR "outbox_id" = ANY($2::text[])) RETURNING "outbox_id"`,
      [destination, ids ?? null],
    );
    return rows.length;
  }
}
