import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber } from './bigint-number.transformer.js';

/** Why a paid checkout could not be linked to an account. */
export type OrphanReason = 'missing_reference' | 'invalid_reference' | 'rejected_reference';

/**
 * A paying customer whose checkout matched no account. The one place an email is kept, so that
 * support can find the person and link the subscription by hand.
 */
@Entity('litestripe_orphaned_payment')
export class OrphanedPayment {
  @PrimaryGeneratedColumn('identity', { generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'litestripe_orphaned_payment_pkey' })
  id: number;

  @Column('text', { nullable: true })
  email: string | null;

  @Column('text', { name: 'customer_id', nullable: true })
  customerId: string | null;

  /** One orphan per subscription, whether a checkout or a backfill found it. */
  @Index('litestripe_orphaned_payment_subscription_key', { unique: true })
  @Column('text', { name: 'subscription_id' })
  subscriptionId: string;

  /** Null when the orphan was found by a backfill rather than a checkout. */
  @Column('text', { name: 'checkout_session_id', nullable: true })
  checkoutSessionId: string | null;

  /** Amount paid at checkout, in the currency's minor unit. */
  @Column('bigint', { name: 'amount', nullable: true, transformer: bigintNumber })
  amount: number | null;

  @Column('text', { nullable: true })
  currency: string | null;

  @Column('text')
  reason: OrphanReason;

  /** The reference the checkout carried, when it was malformed or rejected. */
  @Column('text', { name: 'rejected_reference', nullable: true })
  rejectedReference: string | null;

  @Column('boolean', { default: false })
  livemode: boolean;

  /** When Stripe created the checkout session (or the subscription, for a backfill). */
  @Column('timestamptz', { name: 'stripe_created' })
  stripeCreated: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { name: 'resolved_at', nullable: true })
  resolvedAt: Date | null;
}
