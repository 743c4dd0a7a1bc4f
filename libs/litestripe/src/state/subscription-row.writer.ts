import { Injectable } from '@nestjs/common';
import { EntityManager, EntityMetadata } from 'typeorm';
import { StripeSubscription } from '../entities/stripe-subscription.entity.js';
import { subscriptionFromDatabase } from '../entities/subscription-row.mapper.js';
import { queryRows } from '../common/query-rows.js';
import { sameValue } from '../common/same-value.js';
import { CommittedChangesAnnouncer } from './committed-changes.announcer.js';

type ColumnMetadata = EntityMetadata['columns'][number];

export type SubscriptionChanges = Partial<Omit<StripeSubscription, 'id' | 'createdAt' | 'updatedAt'>>;

/** Decides what an event changes on a row, given the row as locked (null: no row yet). */
export type DecideChanges = (current: StripeSubscription | null) => SubscriptionChanges | null | Promise<SubscriptionChanges | null>;

/** A row already locked in this transaction (null: no row yet). */
export interface LockedRow {
  row: StripeSubscription | null;
}

export interface RowChange {
  previous: StripeSubscription | null;
  current: StripeSubscription;
}

const TABLE = 'litestripe_subscription';

/**
 * Applies one event's changes to one subscription row inside the caller's transaction. The row is
 * locked first, so the decision is made on the latest committed state even when deliveries for
 * the same subscription race each other; only columns whose value changes are written.
 */
@Injectable()
export class SubscriptionRowWriter {
  constructor(private readonly announcer: CommittedChangesAnnouncer) {}

  async apply(manager: EntityManager, id: string, decide: DecideChanges, locked?: LockedRow): Promise<RowChange | null> {
    const columns = manager.connection.getMetadata(StripeSubscription).columns;
    let previous = locked ? locked.row : await this.lock(manager, id);
    if (!previous) {
      const changes = await decide(null);
      if (!changes) return null;
      const inserted = await this.insert(manager, columns, id, changes);
      if (inserted) {
        this.announcer.changed(manager, [inserted.accountRef]);
        return { previous: null, current: inserted };
      }
      // Another transaction inserted the row between our lock attempt and our insert.
      previous = (await this.lock(manager, id)) as StripeSubscription;
    }
    const changes = await decide(previous);
    const changed = changes ? columns.filter((c) => c.propertyName in changes && !sameValue(c.getEntityValue(changes), c.getEntityValue(previous))) : [];
    if (changed.length === 0) return { previous, current: previous };
    const params = [id, ...changed.map((c) => toDatabase(c, changes as SubscriptionChanges))];
    const assignments = changed.map((c, i) => `"${c.databaseName}" = $${i + 2}`).join(', ');
    // updated_at records the write on PostgreSQL's clock. It is only compared with itself, as a row
    // version (SubscriptionObjectApplier's observed row, action idempotency keys), never with the module's clock.
    const rows = await queryRows(manager, `UPDATE ${TABLE} SET ${assignments}, "updated_at" = now() WHERE "id" = $1 RETURNING *`, params);
    const current = subscriptionFromRow(manager, rows[0]);
    this.announcer.changed(manager, [previous.accountRef, current.accountRef]);
    return { previous, current };
  }

  /** Locks the row in the caller's transaction and reads it (null: no row yet). */
  async lock(manager: EntityManager, id: string): Promise<StripeSubscription | null> {
    const rows = await queryRows(manager, `SELECT * FROM ${TABLE} WHERE "id" = $1 FOR UPDATE`, [id]);
    return rows.length ? subscriptionFromRow(manager, rows[0]) : null;
  }

  private async insert(manager: EntityManager, columns: ColumnMetadata[], id: string, changes: SubscriptionChanges): Promise<StripeSubscription | null> {
    const given = columns.filter((c) => c.propertyName in changes && c.getEntityValue(changes) !== undefined);
    const names = ['"id"', ...given.map((c) => `"${c.databaseName}"`)].join(', ');
    const placeholders = ['$1', ...given.map((_, i) => `$${i + 2}`)].join(', ');
    const rows = await queryRows(
      manager,
      `INSERT INTO ${TABLE} (${names}) VALUES (${placeholders}) ON CONFLICT ("id") DO NOTHING RETURNING *`,
      [id, ...given.map((c) => toDatabase(c, changes))],
    );
    return rows.length ? subscriptionFromRow(manager, rows[0]) : null;
  }
}

function toDatabase(column: ColumnMetadata, entity: SubscriptionChanges): unknown {
  const value = column.getEntityValue(entity);
  // pg would send a plain object as JSON anyway; be explicit so arrays inside stay JSON too.
  return column.type === 'jsonb' && value !== null && value !== undefined ? JSON.stringify(value) : value;
}

/** Maps a `litestripe_subscription` row as `pg` returns it to the entity. */
export function subscriptionFromRow(manager: EntityManager, row: Record<string, unknown>): StripeSubscription {
  return subscriptionFromDatabase(manager.connection.getMetadata(StripeSubscription), row);
}
