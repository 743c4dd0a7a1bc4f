import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { bigintNumber } from './bigint-number.transformer.js';

/** Where a one-time payment stands: `pending` while a delayed method (a bank debit) settles. */
export type PurchasePaymentStatus = 'pending' | 'paid' | 'failed';

/**
 * One payment of a Checkout in `payment` mode, and what it grants: lifetime plans and usage credits.
 * Refunds and disputes may reach the module before the checkout does, so a row can begin with only
 * those (no session yet). No personal data.
 */
@Entity('litestripe_purchase')
@Index('litestripe_purchase_account_idx', ['accountRef', 'livemode'])
export class OneTimePurchase {
  /** The PaymentIntent id (`pi_...`), or the Checkout Session's for a checkout that took no payment. */
  @PrimaryColumn('text', { name: 'payment_ref', primaryKeyConstraintName: 'litestripe_purchase_pkey' })
  paymentRef: string;

  @Index('litestripe_purchase_session_key', { unique: true })
  @Column('text', { name: 'checkout_session_id', nullable: true })
  checkoutSessionId: string | null;

  @Column('text', { name: 'customer_id', nullable: true })
  customerId: string | null;

  /** The buyer's account; null until a checkout with a usable reference (or a claim) names it. */
  @Column('text', { name: 'account_ref', nullable: true })
  accountRef: string | null;

  @Column('boolean', { default: false })
  livemode: boolean;

  /** Null while only a refund or dispute is known. */
  @Column('text', { name: 'payment_status', nullable: true })
  paymentStatus: PurchasePaymentStatus | null;

  /** Plans granted for good. */
  @Column('text', { name: 'lifetime_plans', array: true, default: () => "'{}'" })
  lifetimePlans: string[];

  /** Credits bought, by metric. */
  @Column('jsonb', { default: () => "'{}'" })
  credits: Record<string, number>;

  /** The price ids bought. */
  @Column('text', { name: 'price_ids', array: true, default: () => "'{}'" })
  priceIds: string[];

  /** The amount paid (or charged), in the currency's minor unit. */
  @Column('bigint', { nullable: true, transformer: bigintNumber })
  amount: number | null;

  @Column('text', { nullable: true })
  currency: string | null;

  /** What has been refunded so far (Stripe's `amount_refunded`, which only grows). */
  @Column('bigint', { name: 'amount_refunded', default: 0, transformer: bigintNumber })
  amountRefunded: number;

  @Column('boolean', { name: 'dispute_lost', default: false })
  disputeLost: boolean;

  /** Credits taken back so far, by metric. */
  @Column('jsonb', { name: 'credits_revoked', default: () => "'{}'" })
  creditsRevoked: Record<string, number>;

  @Column('boolean', { name: 'lifetime_revoked', default: false })
  lifetimeRevoked: boolean;

  /** When Stripe created the Checkout Session. */
  @Column('timestamptz', { name: 'stripe_created', nullable: true })
  stripeCreated: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
