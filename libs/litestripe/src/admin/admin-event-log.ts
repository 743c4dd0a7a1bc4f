import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { EventOutcome } from '../entities/stripe-event-log.entity.js';

/** One logged event as the admin shows it: what it was, what became of it, whom it concerns (never its payload). */
export interface LoggedEvent {
  id: string;
  type: string;
  outcome: EventOutcome;
  livemode: boolean;
  account: string | null;
  subscriptionId: string | null;
  customerId: string | null;
  stripeCreated: Date;
  receivedAt: Date;
  processedAt: Date | null;
  attempts: number;
  lastError: string | null;
}

const COLUMNS = `"id", "type", "outcome", "livemode", "account", "subscription_id" AS "subscriptionId", "customer_id" AS "customerId",
  "stripe_created" AS "stripeCreated", "received_at" AS "receivedAt", "processed_at" AS "processedAt", "attempts", "last_error" AS "lastError"`;

/** The event log's reads for operators: recent and failed events, one event, and an account's timeline. */
@Injectable()
export class AdminEventLog {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The latest events Stripe created, newest first. */
  recent(limit: number): Promise<LoggedEvent[]> {
    return this.dataSource.query(`SELECT ${COLUMNS} FROM litestripe_event ORDER BY "stripe_created" DESC, "id" LIMIT $1`, [limit]);
  }

  /** Failed events, the latest first (over the failed partial index). */
  failed(limit: number): Promise<LoggedEvent[]> {
    return this.dataSource.query(`SELECT ${COLUMNS} FROM litestripe_event WHERE "outcome" = 'failed' ORDER BY "received_at" DESC, "id" LIMIT $1`, [limit]);
  }

  async byId(id: string): Promise<LoggedEvent | null> {
    const rows: LoggedEvent[] = await this.dataSource.query(`SELECT ${COLUMNS} FROM litestripe_event WHERE "id" = $1`, [id]);
    return rows[0] ?? null;
  }

  /** The events of these subscriptions or customers, newest first, as far back as the log's retention keeps them. */
  timeline(subscriptionIds: readonly string[], customerIds: readonly string[], limit: number): Promise<LoggedEvent[]> {
    if (subscriptionIds.length === 0 && customerIds.length === 0) return Promise.resolve([]);
    return this.dataSource.query(
      `SELECT ${COLUMNS} FROM litestripe_event
       WHERE ("subscription_id" = ANY($1::text[]) AND "subscription_id" IS NOT NULL) OR ("customer_id" = ANY($2::text[]) AND "customer_id" IS NOT NULL)
       ORDER BY "stripe_created" DESC, "id" LIMIT $3`,
      [subscriptionIds, customerIds, limit],
    );
  }
}
