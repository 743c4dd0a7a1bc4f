import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Which Stripe customer stands for an account of the host, per mode (a test-mode customer does not
 * exist in live mode). Ids only: the customer's email and name stay in Stripe. Lets checkout reuse
 * the customer, so repeated or concurrent checkouts of one account never create a second one.
 */
@Entity('litestripe_customer')
export class StripeCustomer {
  /** The host's account reference. */
  @PrimaryColumn('text', { name: 'account_ref', primaryKeyConstraintName: 'litestripe_customer_pkey' })
  accountRef: string;

  @PrimaryColumn('boolean', { primaryKeyConstraintName: 'litestripe_customer_pkey' })
  livemode: boolean;

  /** Stripe customer id (`cus_...`). */
  @Index('litestripe_customer_customer_key', { unique: true })
  @Column('text', { name: 'customer_id' })
  customerId: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
