import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, EntityMetadata } from 'typeorm';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from '../config/entitlement-options.js';
import { StripeSubscription } from '../entities/stripe-subscription.entity.js';
import { subscriptionFromDatabase } from '../entities/subscription-row.mapper.js';

/** What the reader uses of the `pg` pool TypeORM's postgres driver keeps as `master`. */
interface QueryablePool {
  query(sql: string, values: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/**
 * Reads subscription rows for the read path: one indexed query per account (`account_ref`), only
 * rows of the module's mode (a test-mode subscription never entitles in live mode, nor the reverse).
 */
@Injectable()
export class SubscriptionRowsReader {
  private readonly metadata: EntityMetadata;
  private readonly byAccountSql: string;
  /** The `pg` pool behind the DataSource, queried directly (no query runner per lookup); null on another driver. */
  private readonly pool: QueryablePool | null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly options: ResolvedEntitlementOptions,
  ) {
    this.metadata = dataSource.getMetadata(StripeSubscription);
    const names = this.metadata.columns.map((column) => `"${column.databaseName}"`).join(', ');
    this.byAccountSql = `SELECT ${names} FROM litestripe_subscription WHERE "account_ref" = $1 AND "livemode" = $2`;
    // A custom driver (embedded PGlite) serializes its one session through query runners: keep to them.
    const driver = dataSource.options.type === 'postgres' && !dataSource.options.driver ? (dataSource.driver as { master?: Partial<QueryablePool> }) : null;
    this.pool = typeof driver?.master?.query === 'function' ? (driver.master as QueryablePool) : null;
  }

  async ofAccount(accountRef: string): Promise<StripeSubscription[]> {
    const values = [accountRef, this.options.livemode];
    const rows: Record<string, unknown>[] = this.pool ? (await this.pool.query(this.byAccountSql, values)).rows : await this.dataSource.query(this.byAccountSql, values);
    return rows.map((row) => this.toSubscription(row));
  }

  /** With `manager`, inside its transaction (a pool of one connection, as PGlite's, would wait forever otherwise). */
  async byId(id: string, manager?: EntityManager): Promise<StripeSubscription | null> {
    const rows: Record<string, unknown>[] = await (manager ?? this.dataSource).query('SELECT * FROM litestripe_subscription WHERE "id" = $1', [id]);
    return rows.length ? this.toSubscription(rows[0]) : null;
  }

  private toSubscription(row: Record<string, unknown>): StripeSubscription {
    return subscriptionFromDatabase(this.metadata, row);
  }
}
