import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type Stripe from 'stripe';
import { RecordedOutcome } from '../entities/stripe-event-log.entity.js';
import { queryRows } from '../common/query-rows.js';
import { Statement } from '../common/statements.js';
import { LockedRow, subscriptionFromRow } from '../state/subscription-row.writer.js';
import { describeError, MAX_STORED_ERROR_LENGTH } from '../common/describe-error.js';
import { eventSubjectsOf } from './event-subjects.js';

const CLAIMED = '__litestripe_claimed';
const PURGE_BATCH = 5000;

export interface Claim {
  claimed: boolean;
  /** The subscription row locked with the claim, when one was asked for. */
  locked?: LockedRow;
}

/**
 * The event log decides, in the database, which delivery of an event gets to process it. A
 * concurrent duplicate waits on the primary key until the first delivery commits or rolls back.
 */
@Injectable()
export class EventLogRepository {
  /**
   * Records the event as handled by this transaction. Not `claimed` when it was already processed
   * or ignored (a duplicate); a failed event is claimed again, counting the attempt.
   *
   * Given the event's subscription (its ordering key), the same statement also locks that row and
   * returns it (null when there is none yet), saving the writer a round trip: claim and lock are
   * one step of every event.
   */
  async claim(manager: EntityManager, event: Stripe.Event, outcome: RecordedOutcome, lockSubscriptionId: string | null = null): Promise<Claim> {
    const subjects = eventSubjectsOf(event);
    const [result] = await queryRows<Record<string, unknown>>(
      manager,
      `WITH claim AS (
         INSERT INTO litestripe_event AS e ("id", "type", "api_version", "livemode", "account", "stripe_created", "outcome", "processed_at", "ordering_key", "subscription_id", "customer_id")
         VALUES ($1, $2, $3, $4, $5, to_timestamp($6), $7, now(), $8, $9, $10)
         ON CONFLICT ("id") DO UPDATE SET "outcome" = EXCLUDED."outcome", "processed_at" = now(), "attempts" = e."attempts" + 1, "last_error" = NULL, "work" = NULL, "available_at" = NULL,
           "subscription_id" = EXCLUDED."subscription_id", "customer_id" = EXCLUDED."customer_id"
         WHERE e."outcome" = 'failed'
         RETURNING 1)
       SELECT EXISTS (SELECT 1 FROM claim) AS "${CLAIMED}", s.*
       FROM (VALUES (1)) AS one (x)
       LEFT JOIN LATERAL (SELECT * FROM litestripe_subscription WHERE "id" = $8 AND EXISTS (SELECT 1 FROM claim) FOR UPDATE) s ON true`,
      [event.id, event.type, event.api_version ?? null, event.livemode === true, event.account ?? null, event.created, outcome, lockSubscriptionId, subjects.subscriptionId, subjects.customerId],
    );
    const claimed = result[CLAIMED] === true;
    if (!claimed || lockSubscriptionId === null) return { claimed };
    return { claimed, locked: { row: result.id === null ? null : subscriptionFromRow(manager, result) } };
  }

  /** The statement that corrects the outcome claimed in this transaction, once applying the event showed it. */
  setOutcomeStatement(eventId: string, outcome: RecordedOutcome): Statement {
    return { sql: 'UPDATE litestripe_event SET "outcome" = $2 WHERE "id" = $1', params: [eventId, outcome] };
  }

  /** Records a failed attempt outside the rolled-back transaction, unless another delivery has since succeeded. */
  async recordFailure(dataSource: DataSource, event: Stripe.Event, error: unknown): Promise<void> {
    const message = describeError(error).slice(0, MAX_STORED_ERROR_LENGTH);
    const subjects = eventSubjectsOf(event);
    await dataSource.query(
      `INSERT INTO litestripe_event AS e ("id", "type", "api_version", "livemode", "account", "stripe_created", "outcome", "last_error", "subscription_id", "customer_id")
       VALUES ($1, $2, $3, $4, $5, to_timestamp($6), 'failed', $7, $8, $9)
       ON CONFLICT ("id") DO UPDATE SET "attempts" = e."attempts" + 1, "last_error" = EXCLUDED."last_error"
       WHERE e."outcome" = 'failed'`,
      [event.id, event.type, event.api_version ?? null, event.livemode === true, event.account ?? null, event.created, message, subjects.subscriptionId, subjects.customerId],
    );
  }

  /**
   * Deletes the events Stripe created before `cutoff`, except failed ones (they stay until an
   * attempt succeeds); returns how many. In batches, so a large log is never locked for long;
   * rows another sweep or a delivery holds are skipped and left for the next sweep.
   */
  async purgeBefore(dataSource: DataSource, cutoff: Date): Promise<number> {
    let purged = 0;
    for (;;) {
      const [, deleted]: [unknown, number] = await dataSource.query(
        `DELETE FROM litestripe_event WHERE "id" IN (
           SELECT "id" FROM litestripe_event WHERE "stripe_created" < $1 AND "outcome" <> 'failed' LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        [cutoff, PURGE_BATCH],
      );
      purged += deleted;
      if (deleted < PURGE_BATCH) return purged;
    }
  }
}
