import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type Stripe from 'stripe';
import { DataSource } from 'typeorm';
import { InjectStripeClient } from '../stripe/stripe-client.decorator.js';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from '../config/entitlement-options.js';

/**
 * The account → Stripe customer mapping (`litestripe_customer`, ids only), per mode. A checkout
 * reuses the account's customer; the first one creates it with an idempotency key derived from the
 * account, so concurrent first checkouts (on any instance) get the same customer from Stripe, and
 * the mapping insert keeps whichever row landed first.
 */
@Injectable()
export class CustomerRegistry {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly options: ResolvedEntitlementOptions,
    @InjectStripeClient() private readonly stripe: Stripe,
  ) {}

  /**
   * The account's customer, from the mapping only. A link is made by the module itself (a customer
   * it created for the account, for checkout) or by an explicit action (an orphan claim, a relink),
   * never inferred from a webhook: anyone can pay through a payment link naming any account as
   * `client_reference_id`, and that must not open the account's checkout or billing portal on the
   * payer's customer.
   */
  async find(accountRef: string): Promise<string | null> {
    const mapped: { customer_id: string }[] = await this.dataSource.query(
      'SELECT "customer_id" FROM litestripe_customer WHERE "account_ref" = $1 AND "livemode" = $2',
      [accountRef, this.options.livemode],
    );
    return mapped[0]?.customer_id ?? null;
  }

  async findOrCreate(accountRef: string): Promise<string> {
    const existing = await this.find(accountRef);
    if (existing) return existing;
    const mode = this.options.livemode ? 'live' : 'test';
    const customer = await this.stripe.customers.create(
      { metadata: { [this.options.accountReferenceMetadataKey]: accountRef } },
      { idempotencyKey: `litestripe-customer-${mode}-${accountRef}` },
    );
    return this.remember(accountRef, customer.id);
  }

  /** Records the mapping; when another caller recorded one first, that one wins. */
  async remember(accountRef: string, customerId: string): Promise<string> {
    const rows: { customer_id: string }[] = await this.dataSource.query(
      `WITH inserted AS (
         INSERT INTO litestripe_customer ("account_ref", "livemode", "customer_id") VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING "customer_id")
       SELECT "customer_id" FROM inserted
       UNION ALL SELECT "customer_id" FROM litestripe_customer WHERE "account_ref" = $1 AND "livemode" = $2
       LIMIT 1`,
      [accountRef, this.options.livemode, customerId],
    );
    if (rows.length) return rows[0].customer_id;
    // A concurrent insert committed after this statement's snapshot was taken: read it now.
    const winner: { customer_id: string }[] = await this.dataSource.query(
      'SELECT "customer_id" FROM litestripe_customer WHERE "account_ref" = $1 AND "livemode" = $2',
      [accountRef, this.options.livemode],
    );
    return winner[0]?.customer_id ?? customerId;
  }
}
