import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { StripeSubscription } from '../entities/stripe-subscription.entity';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from './entitlement-options';

/**
 * Reads subscription rows for the read path: one indexed query per account (`account_ref`), only
 * rows of the module's mode (a test-mode subscription never entitles in live mode, nor the reverse).
 */
@Injectable()
export class SubscriptionRowsReader {
  private readonly columns: ColumnMetadata[];

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly options: ResolvedEntitlementOptions,
  ) {
    this.columns = dataSource.getMetadata(StripeSubscription).columns;
  }

  async ofAccount(accountRef: string): Promise<StripeSubscription[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      'SELECT * FROM litestripe_subscription WHERE "account_ref" = $1 AND "livemode" = $2',
      [accountRef, this.options.livemode],
    );
    return rows.map((row) => this.toEntity(row));
  }

  /** With `manager`, inside its transaction (a pool of one connection, as PGlite's, would wait forever otherwise). */
  async byId(id: string, manager?: EntityManager): Promise<StripeSubscription | null> {
    const rows: Record<string, unknown>[] = await (manager ?? this.dataSource).query('SELECT * FROM litestripe_subscription WHERE "id" = $1', [id]);
    return rows.length ? this.toEntity(rows[0]) : null;
  }

  private toEntity(row: Record<string, unknown>): StripeSubscription {
    const entity = new StripeSubscription();
    for (const column of this.columns) {
      const raw = row[column.databaseName];
      const transformer = column.transformer && !Array.isArray(column.transformer) ? column.transformer : undefined;
      column.setEntityValue(entity, transformer ? transformer.from(raw) : raw);
    }
    return entity;
  }
}
