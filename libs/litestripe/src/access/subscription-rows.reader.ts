import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, EntityMetadata } from 'typeorm';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from '../config/entitlement-options.js';
import { StripeSubscription } from '../entities/stripe-subscription.entity.js';
import { subscriptionFromDatabase } from '../entities/subscription-row.mapper.js';
import { DirectQuery, directQuery } from '../common/direct-query.js';

/**
 * Reads subscription rows for the read path: one indexed query per account (`account_ref`), only
 * rows of the module's mode (a test-mode subscription never entitles in live mode, nor the reverse).
 */
@Injectable()
export class SubscriptionRowsReader {
  private readonly metadata: EntityMetadata;
  private readonly byAccountSql: string;
  private readonly query: DirectQuery;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly options: ResolvedEntitlementOptions,
  ) {
    this.metadata = dataSource.getMetadata(StripeSubscription);
    const names = this.metadata.columns.map((column) => `"${column.databaseName}"`).join(', ');
    this.byAccountSql = `SELECT ${names} FROM litestripe_subscription WHERE "account_ref" = $1 AND "livemode" = $2`;
    this.query = directQuery(dataSource);
  }

  async ofAccount(accountRef: string): Promise<StripeSubscription[]> {
    const rows = await this.query(this.byAccountSql, [accountRef, this.options.livemode]);
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
