import { Injectable } from '@nestjs/common';
import { EntityManager, EntityMetadata } from 'typeorm';
import { StripeSubscription } from '../entities/stripe-subscription.entity.js';
import { subscriptionFromDatabase } from '../entities/subscription-row.mapper.js';
import { queryRows } from '../common/query-rows.js';
import { Statement } from '../common/statements.js';
import { sameValue } from '../common/same-value.js';
import { CommittedChangesAnnouncer } from './committed-changes.announcer.js';

type ColumnMetadata = EntityMetadata['columns'][number];

export type SubscriptionChanges = Partial<Omit<StripeSubscription, 'id' | 'createdAt' | 'updatedAt'>>;

/** Decides what an event changes on a row, given the row as locked (null: no row yet). */
export type DecideChanges = (current: StripeSubscription | null) => SubscriptionChanges | null | Promise<SubscriptionChanges | null>;

/**
 * A row already locked in this transaction (null: no row yet). The writer keeps it current, so one
 * lock serves every event of a batch that changes the same subscription.
 */
export interface LockedRow {
  row: StripeSubscription | null;
}

export interface RowChange {
  previous: StripeSubscription | null;
  current: StripeSubscription;
}

const TABLE = 'litestripe_subscription';
const STAGED = 'litestripeStagedRows';

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
        if (locked) locked.row = inserted;
        return { previous: null, current: inserted };
      }
      // Another transaction inserted the row between our lock attempt and our insert.
      previous = (await this.lock(manager, id)) as StripeSubscription;
    }
    const changes = await decide(previous);
    const changed = changes ? columns.filter((c) => c.propertyName in changes && !sameValue(c.getEntityValue(changes), c.getEntityValue(previous))) : [];
    if (changed.length === 0) return { previous, current: previous };
    const current = Object.assign(new StripeSubscription(), previous);
    for (const column of changed) column.setEntityValue(current, column.getEntityValue(changes as SubscriptionChanges));
    this.announcer.changed(manager, [previous.accountRef, current.accountRef]);
    if (locked) locked.row = current;
    const staged = stagedRows(manager);
    if (staged && locked) {
      const columnsChanged = staged.get(id)?.changed ?? new Set<ColumnMetadata>();
      for (const column of changed) columnsChanged.add(column);
      staged.set(id, { row: current, changed: columnsChanged });
      return { previous, current };
    }
    const params = [id, ...changed.map((c) => toDatabase(c, changes as SubscriptionChanges))];
    const assignments = changed.map((c, i) => `"${c.databaseName}" = $${i + 2}`).join(', ');
    // updated_at records the write on PostgreSQL's clock. It is only compared with itself, as a row
    // version (SubscriptionObjectApplier's observed row, action idempotency keys), never with the module's clock.
    // The rest of the row is known: only that comes back.
    const rows = await queryRows<{ updated_at: Date }>(manager, `UPDATE ${TABLE} SET ${assignments}, "updated_at" = now() WHERE "id" = $1 RETURNING "updated_at"`, params);
    current.updatedAt = rows[0].updated_at;
    return { previous, current };
  }

  /**
   * From now on in this transaction, updates of rows locked beforehand (the claim's row, or
   * `lockMany`'s) are kept in memory and written by `flushStatement` in one statement, each row
   * once however many events changed it (a batch of the inbox). Inserts are still written at once:
   * they take the columns' defaults.
   */
  stage(manager: EntityManager): void {
    queryRunnerOf(manager).data[STAGED] = new Map<string, StagedRow>();
  }

  /**
   * The statement that writes the staged rows, to run in this transaction, alone or with others
   * (`runAsOne`); stops staging. Null when no row changed.
   */
  flushStatement(manager: EntityManager): Statement | null {
    const staged = stagedRows(manager);
    delete queryRunnerOf(manager).data[STAGED];
    if (!staged || staged.size === 0) return null;
    if (staged.size === 1) {
      // One row (an inline event): only its changed columns, with typed parameters.
      const [[id, { row, changed }]] = staged;
      const columns = [...changed];
      return {
        // updated_at: see apply.
        sql: `UPDATE ${TABLE} SET ${columns.map((c, i) => `"${c.databaseName}" = $${i + 2}`).join(', ')}, "updated_at" = now() WHERE "id" = $1`,
        params: [id, ...columns.map((c) => toDatabase(c, row))],
      };
    }
    const columns = manager.connection.getMetadata(StripeSubscription).columns.filter((c) => !c.isPrimary && !c.isCreateDate && !c.isUpdateDate);
    const rows = [...staged].map(([id, { row }]) => Object.fromEntries([['id', id], ...columns.map((c) => [c.databaseName, toDatabase(c, row, false)])]));
    const names = columns.map((c) => `"${c.databaseName}"`);
    return {
      // Every column of every row, in one statement: the rows are locked, so nothing else changed them.
      sql: `UPDATE ${TABLE} AS s SET (${names.join(', ')}) = (${names.map((name) => `r.${name}`).join(', ')}), "updated_at" = now()
            FROM jsonb_populate_recordset(NULL::${TABLE}, $1::jsonb) AS r WHERE s."id" = r."id"`,
      params: [JSON.stringify(rows)],
    };
  }

  /** Locks the rows in the caller's transaction, in id order (as every batch does, so two never deadlock), and reads them. */
  async lockMany(manager: EntityManager, ids: readonly string[]): Promise<Map<string, LockedRow>> {
    const rows = await queryRows(manager, `SELECT * FROM ${TABLE} WHERE "id" = ANY($1::text[]) ORDER BY "id" FOR UPDATE`, [ids]);
    const locked = new Map<string, LockedRow>(ids.map((id) => [id, { row: null }]));
    for (const row of rows) locked.set(row.id as string, { row: subscriptionFromRow(manager, row) });
    return locked;
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

function toDatabase(column: ColumnMetadata, entity: SubscriptionChanges, asParameter = true): unknown {
  const value = column.getEntityValue(entity);
  // pg would send a plain object as JSON anyway; be explicit so arrays inside stay JSON too.
  return asParameter && column.type === 'jsonb' && value !== null && value !== undefined ? JSON.stringify(value) : (value ?? null);
}

function queryRunnerOf(manager: EntityManager): NonNullable<EntityManager['queryRunner']> {
  if (!manager.queryRunner) throw new Error('Staged subscription writes need a transaction');
  return manager.queryRunner;
}

/** A staged row: its state after this transaction's events, and the columns they changed. */
interface StagedRow {
  row: StripeSubscription;
  changed: Set<ColumnMetadata>;
}

function stagedRows(manager: EntityManager): Map<string, StagedRow> | undefined {
  return manager.queryRunner?.data[STAGED] as Map<string, StagedRow> | undefined;
}

/** Maps a `litestripe_subscription` row as `pg` returns it to the entity. */
export function subscriptionFromRow(manager: EntityManager, row: Record<string, unknown>): StripeSubscription {
  return subscriptionFromDatabase(manager.connection.getMetadata(StripeSubscription), row);
}
