import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { queryRows } from '../../common/query-rows.js';
import { MAX_STORED_ERROR_LENGTH } from '../../common/describe-error.js';

/** A metered use to report: what `billing.meterEvents.create` is sent. */
export interface MeterEventToReport {
  identifier: string;
  eventName: string;
  customerId: string;
  value: number;
  occurredAt: Date;
  attempts: number;
}

/** What the reporter's table holds now (for operators and tests). */
export interface MeterReportingStatus {
  pending: number;
  failed: number;
  reported: number;
}

/**
 * The `litestripe_meter_event` table. Leases and backoff are durations on PostgreSQL's clock,
 * the one every instance shares (as the outbox's are); when a use was reported or refused is a
 * date of the module's clock, as retention reads it.
 */
@Injectable()
export class MeterEventRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Stores a use to report; a use already stored under the identifier (a retried `record()`) is kept as it was. */
  async store(use: Omit<MeterEventToReport, 'attempts'>): Promise<void> {
    await queryRows(
      this.dataSource,
      `INSERT INTO litestripe_meter_event ("identifier", "event_name", "customer_id", "value", "occurred_at") VALUES ($1, $2, $3, $4, $5) ON CONFLICT ("identifier") DO NOTHING`,
      [use.identifier, use.eventName, use.customerId, use.value, use.occurredAt],
    );
  }

  /** Leases up to `limit` due uses to this instance, oldest first; uses another instance holds are skipped. */
  async leaseDue(limit: number, leaseMs: number): Promise<MeterEventToReport[]> {
    const rows = await queryRows<Record<string, unknown>>(
      this.dataSource,
      `UPDATE litestripe_meter_event SET "available_at" = now() + make_interval(secs => $2::float8 / 1000)
       WHERE "identifier" IN (
         SELECT "identifier" FROM litestripe_meter_event
         WHERE "reported_at" IS NULL AND "failed_at" IS NULL AND "available_at" <= now()
         ORDER BY "created_at" LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING "identifier", "event_name", "customer_id", "value", "occurred_at", "attempts"`,
      [limit, leaseMs],
    );
    return rows.map((row) => ({
      identifier: row.identifier as string,
      eventName: row.event_name as string,
      customerId: row.customer_id as string,
      value: Number(row.value),
      occurredAt: new Date(row.occurred_at as string | Date),
      attempts: row.attempts as number,
    }));
  }

  /** `at`: the module clock's time, which the retention job compares `reported_at` with. */
  async markReported(identifiers: readonly string[], at: Date): Promise<void> {
    if (identifiers.length === 0) return;
    await queryRows(this.dataSource, `UPDATE litestripe_meter_event SET "reported_at" = $2, "last_error" = NULL WHERE "identifier" = ANY($1::text[])`, [identifiers, at]);
  }

  /** A refusal that a retry cannot change: kept, with its error, for an operator. */
  async markFailed(identifier: string, error: string, at: Date): Promise<void> {
    await queryRows(this.dataSource, `UPDATE litestripe_meter_event SET "failed_at" = $3, "attempts" = "attempts" + 1, "last_error" = $2 WHERE "identifier" = $1`, [
      identifier,
      error.slice(0, MAX_STORED_ERROR_LENGTH),
      at,
    ]);
  }

  /** A failure worth retrying (Stripe unreachable, a 5xx, a rate limit): tried again after `backoffMs`. */
  async retryLater(identifier: string, error: string, backoffMs: number): Promise<void> {
    await queryRows(
      this.dataSource,
      `UPDATE litestripe_meter_event SET "attempts" = "attempts" + 1, "last_error" = $2, "available_at" = now() + make_interval(secs => $3::float8 / 1000) WHERE "identifier" = $1`,
      [identifier, error.slice(0, MAX_STORED_ERROR_LENGTH), backoffMs],
    );
  }

  async status(): Promise<MeterReportingStatus> {
    const [row] = await queryRows<Record<string, string>>(
      this.dataSource,
      `SELECT count(*) FILTER (WHERE "reported_at" IS NULL AND "failed_at" IS NULL) AS pending,
              count(*) FILTER (WHERE "failed_at" IS NOT NULL) AS failed,
              count(*) FILTER (WHERE "reported_at" IS NOT NULL) AS reported
       FROM litestripe_meter_event`,
      [],
    );
    return { pending: Number(row.pending), failed: Number(row.failed), reported: Number(row.reported) };
  }
}
