import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type Stripe from 'stripe';
import { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '../../common/query-rows.js';
import { DirectQuery, directQuery } from '../../common/direct-query.js';
import { Statement } from '../../common/statements.js';
import type { QueueStatus } from '../../common/queue-status.js';
import { MAX_STORED_ERROR_LENGTH } from '../../common/describe-error.js';
import type { RecordedOutcome } from '../../entities/stripe-event-log.entity.js';
import { eventSubjectsOf } from '../event-subjects.js';

/** The channel on which an applier that took a full batch wakes the others. */
export const INBOX_CHANNEL = 'litestripe_inbox';

/** A pending event an applier took, with what its handler read from the payload. */
export interface ClaimedEvent {
  id: string;
  type: string;
  livemode: boolean;
  account: string | null;
  created: number;
  orderingKey: string;
  /** The handler's facts, as `encodeWork` stored them. */
  work: string;
  attempts: number;
}

/** A failed event as listed for operators. */
export interface FailedInboxEvent {
  /** Stripe event id (`evt_...`). */
  id: string;
  /** Stripe event type. */
  type: string;
  /** The subscription the event concerns (null for one that failed before this was recorded). */
  orderingKey: string | null;
  /** When Stripe created the event. */
  stripeCreated: Date;
  /** When the webhook first stored it. */
  receivedAt: Date;
  /** Attempts to apply it, all failed. */
  attempts: number;
  /** The last attempt's error. */
  lastError: string | null;
  /** False for an event that failed inline: nothing of it was kept, so Stripe's redelivery (or `sync replay`) retries it. */
  retryable: boolean;
}

/**
 * The inbox's SQL. The inbox is the event log: a pending row holds the ordering key and the handler's
 * facts until it is applied. Leases and backoff (`available_at`) are durations on PostgreSQL's
 * clock, which every instance shares.
 */
@Injectable()
export class InboxRepository {
  private readonly direct: DirectQuery;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.direct = directQuery(dataSource);
  }

  /**
   * The webhook's one write, in autocommit: a new event (pending with its facts, or recorded with a
   * final outcome), or a failed one queued again. False for a duplicate, known from this same statement.
   */
  async insert(event: Stripe.Event, outcome: RecordedOutcome | 'pending', orderingKey: string | null, work: string | null): Promise<boolean> {
    const subjects = eventSubjectsOf(event);
    const rows = await this.direct(
      `INSERT INTO litestripe_event AS e ("id", "type", "api_version", "livemode", "account", "stripe_created", "outcome", "processed_at", "attempts", "ordering_key", "work", "available_at", "subscription_id", "customer_id")
       VALUES ($1, $2, $3, $4, $5, to_timestamp($6), $7, CASE WHEN $7 = 'pending' THEN NULL ELSE now() END, CASE WHEN $7 = 'pending' THEN 0 ELSE 1 END, $8, $9::jsonb, CASE WHEN $7 = 'pending' THEN now() END, $10, $11)
       ON CONFLICT ("id") DO UPDATE SET "outcome" = EXCLUDED."outcome", "processed_at" = EXCLUDED."processed_at", "attempts" = EXCLUDED."attempts", "last_error" = NULL,
         "ordering_key" = EXCLUDED."ordering_key", "work" = EXCLUDED."work", "available_at" = EXCLUDED."available_at", "subscription_id" = EXCLUDED."subscription_id", "customer_id" = EXCLUDED."customer_id"
       WHERE e."outcome" = 'failed'
       RETURNING 1`,
      [event.id, event.type, event.api_version ?? null, event.livemode === true, event.account ?? null, event.created, outcome, orderingKey, work, subjects.subscriptionId, subjects.customerId],
      'litestripe_inbox_insert',
    );
    return rows.length > 0;
  }

  /**
   * Leases up to `limit` due events, oldest received first; rows another applier is taking are
   * skipped. A full batch wakes the other instances' appliers, since more is likely waiting.
   */
  async claim(limit: number, leaseMs: number): Promise<ClaimedEvent[]> {
    const rows = await queryRows(
      this.dataSource,
      `WITH taken AS (
         UPDATE litestripe_event SET "available_at" = now() + make_interval(secs => $2::float8 / 1000)
         WHERE "id" IN (
           SELECT "id" FROM litestripe_event WHERE "outcome" = 'pending' AND "available_at" <= now()
           ORDER BY "received_at" LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING "id", "type", "livemode", "account", extract(epoch FROM "stripe_created")::bigint AS created, "ordering_key", "work"::text AS work, "attempts")
       SELECT taken.*, (SELECT pg_notify('${INBOX_CHANNEL}', '') WHERE (SELECT count(*) FROM taken) >= $1) IS NULL AS notified FROM taken`,
      [limit, leaseMs],
    );
    return rows.map((row) => ({
      id: row.id as string,
      type: row.type as string,
      livemode: row.livemode as boolean,
      account: row.account as string | null,
      created: Number(row.created),
      orderingKey: row.ordering_key as string,
      work: row.work as string,
      attempts: row.attempts as number,
    }));
  }

  /**
   * Of the claimed events, those this transaction may apply, locked until it ends: still pending
   * (a batch that outlived its lease may find another applier already applied them), and of an
   * ordering key whose advisory lock it got (a key another applier holds is left to it).
   */
  async takeForApply(manager: EntityManager, ids: readonly string[]): Promise<Set<string>> {
    const rows = await queryRows(
      manager,
      `SELECT "id" FROM litestripe_event
       WHERE "id" = ANY($1::text[]) AND "outcome" = 'pending' AND pg_try_advisory_xact_lock(hashtextextended('litestripe:' || "ordering_key", 0))
       FOR UPDATE`,
      [ids],
    );
    return new Set(rows.map((row) => row.id as string));
  }

  /** The statement that marks applied events with their outcome and drops their facts, for the batch's transaction. */
  markAppliedStatement(outcomes: ReadonlyMap<string, RecordedOutcome>): Statement | null {
    if (outcomes.size === 0) return null;
    return {
      sql: `UPDATE litestripe_event AS e SET "outcome" = v.outcome, "processed_at" = now(), "attempts" = e."attempts" + 1, "work" = NULL, "available_at" = NULL, "last_error" = NULL
            FROM unnest($1::text[], $2::text[]) AS v(id, outcome) WHERE e."id" = v.id AND e."outcome" = 'pending'`,
      params: [[...outcomes.keys()], [...outcomes.values()]],
    };
  }

  /** Makes leased events due again after `delayMs` (a key another applier held, a tie to settle with Stripe first). */
  async release(ids: readonly string[], delayMs: number, refetchTie = false): Promise<void> {
    if (ids.length === 0) return;
    await this.dataSource.query(
      `UPDATE litestripe_event SET "available_at" = now() + make_interval(secs => $2::float8 / 1000),
         "work" = CASE WHEN $3 THEN jsonb_set("work", '{refetchTie}', 'true') ELSE "work" END
       WHERE "id" = ANY($1::text[]) AND "outcome" = 'pending'`,
      [ids, delayMs, refetchTie],
    );
  }

  /** Counts a failed attempt: back off exponentially, or keep the event as failed once attempts run out. */
  async recordFailure(id: string, error: string, maxAttempts: number, backoffMs: number): Promise<'retrying' | 'failed'> {
    const rows = await queryRows(
      this.dataSource,
      `UPDATE litestripe_event SET
         "attempts" = "attempts" + 1,
         "last_error" = $2,
         "available_at" = now() + make_interval(secs => $4::float8 * power(2, "attempts") / 1000),
         "outcome" = CASE WHEN "attempts" + 1 >= $3 THEN 'failed' ELSE 'pending' END
       WHERE "id" = $1 AND "outcome" = 'pending' RETURNING "outcome"`,
      [id, error.slice(0, MAX_STORED_ERROR_LENGTH), maxAttempts, backoffMs],
    );
    return rows[0]?.outcome === 'failed' ? 'failed' : 'retrying';
  }

  /** Pending events, counted up to `cap` (a bound needs no exact count past it), how long the oldest has waited, and failed ones. */
  async status(cap: number): Promise<QueueStatus> {
    const [row] = await queryRows(
      this.dataSource,
      `SELECT (SELECT count(*) FROM (SELECT 1 FROM litestripe_event WHERE "outcome" = 'pending' LIMIT $1) AS p) AS depth,
              (SELECT coalesce(extract(epoch FROM now() - min("received_at")) * 1000, 0) FROM litestripe_event WHERE "outcome" = 'pending') AS lag_ms,
              (SELECT count(*) FROM litestripe_event WHERE "outcome" = 'failed') AS failed`,
      [cap],
    );
    return { depth: Number(row.depth), lagMs: Math.max(0, Math.round(Number(row.lag_ms))), failed: Number(row.failed) };
  }

  /** Pending events an applier may take now. */
  async dueCount(): Promise<number> {
    const [row] = await queryRows(this.dataSource, `SELECT count(*) AS due FROM litestripe_event WHERE "outcome" = 'pending' AND "available_at" <= now()`, []);
    return Number(row.due);
  }

  /**
   * How long until the next pending event is due, on PostgreSQL's clock (negative when one is due
   * now); null when none is pending.
   */
  async nextDueInMs(): Promise<number | null> {
    const rows = await this.direct(`SELECT extract(epoch FROM min("available_at") - now()) * 1000 AS ms FROM litestripe_event WHERE "outcome" = 'pending'`, []);
    return rows[0].ms === null ? null : Number(rows[0].ms);
  }

  /** Pending events, counted up to `cap`. */
  async depth(cap: number): Promise<number> {
    const rows = await this.direct(`SELECT count(*) AS depth FROM (SELECT 1 FROM litestripe_event WHERE "outcome" = 'pending' LIMIT $1) AS p`, [cap]);
    return Number(rows[0].depth);
  }

  async listFailed(limit: number): Promise<FailedInboxEvent[]> {
    const rows = await queryRows(
      this.dataSource,
      `SELECT "id", "type", "ordering_key", "stripe_created", "received_at", "attempts", "last_error", "work" IS NOT NULL AS retryable
       FROM litestripe_event WHERE "outcome" = 'failed' ORDER BY "received_at" LIMIT $1`,
      [limit],
    );
    return rows.map((row) => ({
      id: row.id as string,
      type: row.type as string,
      orderingKey: row.ordering_key as string | null,
      stripeCreated: row.stripe_created as Date,
      receivedAt: row.received_at as Date,
      attempts: row.attempts as number,
      lastError: row.last_error as string | null,
      retryable: row.retryable as boolean,
    }));
  }

  /** Queues failed events (all, or the given ids) again with a fresh count of attempts; returns their ids. */
  async retryFailed(ids?: readonly string[]): Promise<string[]> {
    const rows = await queryRows(
      this.dataSource,
      `UPDATE litestripe_event SET "outcome" = 'pending', "attempts" = 0, "available_at" = now()
       WHERE "outcome" = 'failed' AND "work" IS NOT NULL AND ($1::text[] IS NULL OR "id" = ANY($1::text[])) RETURNING "id"`,
      [ids ?? null],
    );
    return rows.map((row) => row.id as string);
  }
}
