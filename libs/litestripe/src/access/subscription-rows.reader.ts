import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, EntityMetadata } from 'typeorm';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from '../config/entitlement-options.js';
import { StripeSubscription } from '../entities/stripe-subscription.entity.js';
import { subscriptionFromDatabase } from '../entities/subscription-row.mapper.js';
import { DirectQuery, directQuery } from '../common/direct-query.js';
import type { AccountRecords } from './account-records.js';

// Both lists in one round trip; a customer's features count for the accounts subscribed with it.
const GRANTS_SQL = `SELECT
  ARRAY(SELECT DISTINCT unnest(p."lifetime_plans") FROM litestripe_purchase p
        WHERE p."account_ref" = $1 AND p."livemode" = $2 AND p."payment_status" = 'paid' AND NOT p."lifetime_revoked") AS "lifetime_plans",
  ARRAY(SELECT DISTINCT unnest(f."lookup_keys") FROM litestripe_customer_feature f
        WHERE f."livemode" = $2 AND f."customer_id" IN (SELECT s."customer_id" FROM litestripe_subscription s WHERE s."account_ref" = $1 AND s."livemode" = $2)) AS "stripe_features"`;

/**
 * Reads an account's records for the read path: one indexed query per account (`account_ref`), only
 * rows of the module's mode (a test-mode subscription never entitles in live mode, nor the reverse);
 * a second one for lifetime plans and Stripe's features, only when the catalogue sells something
 * once or reads features from Stripe.
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

  async ofAccount(accountRef: string): Promise<AccountRecords> {
    const { catalog, livemode } = this.options;
    const readsGrants = catalog.sellsOnce || catalog.readsStripeFeatures;
    const [rows, grants] = await Promise.all([
      this.query(this.byAccountSql, [accountRef, livemode]),
      readsGrants ? this.query(GRANTS_SQL, [accountRef, livemode], 'litestripe_account_grants') : null,
    ]);
    return {
      subscriptions: rows.map((row) => this.toSubscription(row)),
      lifetimePlans: (grants?.[0].lifetime_plans as string[] | undefined) ?? [],
      stripeFeatures: (grants?.[0].stripe_features as string[] | undefined) ?? [],
    };
  }

  /** The subscription rows of an account (the billing actions' view: no grants). */
  async subscriptionsOf(accountRef: string): Promise<StripeSubscription[]> {
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
