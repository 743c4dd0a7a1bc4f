import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { bigintNumber } from './bigint-number.transformer.js';

/** Stripe's subscription statuses. */
export type SubscriptionStatus = 'incomplete' | 'incomplete_expired' | 'trialing' | 'active' | 'past_due' | 'canceled' | 'unpaid' | 'paused';

/**
 * What Stripe does with invoices while payment collection is paused (`pause_collection.behavior`).
 * `unknown`: paused before litestripe stored the behaviour (rows from before the
 * `LitestripePauseCollection` migration, until `sync upgrade` re-reads them), or a behaviour this
 * version does not know.
 */
export type PauseBehavior = 'keep_as_draft' | 'mark_uncollectible' | 'void' | 'unknown';

/** Metadata kept on the row, namespaced by the Stripe object it came from. */
export interface SubscriptionMetadata {
  checkout?: Record<string, string>;
  subscription?: Record<string, string>;
}

/**
 * One Stripe subscription, as much as the app needs to decide entitlement. Holds no personal data:
 * only Stripe ids, the host's account reference and billing state.
 * Fields are null until an event that carries them has arrived (events come in any order).
 */
@Entity('litestripe_subscription')
export class StripeSubscription {
  /** Stripe subscription id (`sub_...`). */
  @PrimaryColumn('text', { primaryKeyConstraintName: 'litestripe_subscription_pkey' })
  id: string;

  /** Stripe customer id (`cus_...`). */
  @Index('litestripe_subscription_customer_idx')
  @Column('text', { name: 'customer_id', nullable: true })
  customerId: string | null;

  /** The host's account reference: Checkout's `client_reference_id` or the subscription's metadata. */
  @Index('litestripe_subscription_account_idx')
  @Column('text', { name: 'account_ref', nullable: true })
  accountRef: string | null;

  @Column('text', { nullable: true })
  status: SubscriptionStatus | null;

  @Column('text', { name: 'price_id', nullable: true })
  priceId: string | null;

  @Column('text', { name: 'product_id', nullable: true })
  productId: string | null;

  @Column('text', { name: 'lookup_key', nullable: true })
  lookupKey: string | null;

  @Column('integer', { nullable: true })
  quantity: number | null;

  @Column('timestamptz', { name: 'current_period_start', nullable: true })
  currentPeriodStart: Date | null;

  @Column('timestamptz', { name: 'current_period_end', nullable: true })
  currentPeriodEnd: Date | null;

  @Column('timestamptz', { name: 'trial_start', nullable: true })
  trialStart: Date | null;

  @Column('timestamptz', { name: 'trial_end', nullable: true })
  trialEnd: Date | null;

  @Column('boolean', { name: 'cancel_at_period_end', default: false })
  cancelAtPeriodEnd: boolean;

  @Column('timestamptz', { name: 'cancel_at', nullable: true })
  cancelAt: Date | null;

  @Column('timestamptz', { name: 'canceled_at', nullable: true })
  canceledAt: Date | null;

  @Column('timestamptz', { name: 'ended_at', nullable: true })
  endedAt: Date | null;

  /** Set while the billing portal or the API has paused payment collection (`pause_collection`); null while Stripe collects. */
  @Column('text', { name: 'pause_behavior', nullable: true })
  pauseBehavior: PauseBehavior | null;

  /** When Stripe resumes collecting (`pause_collection.resumes_at`); null: paused until resumed by hand. */
  @Column('timestamptz', { name: 'pause_resumes_at', nullable: true })
  pauseResumesAt: Date | null;

  @Column('boolean', { default: false })
  livemode: boolean;

  @Column('jsonb', { default: () => "'{}'" })
  metadata: SubscriptionMetadata;

  /** Outcome of the latest invoice payment seen: `succeeded` or `failed`. */
  @Column('text', { name: 'latest_payment_status', nullable: true })
  latestPaymentStatus: 'succeeded' | 'failed' | null;

  @Column('text', { name: 'latest_invoice_id', nullable: true })
  latestInvoiceId: string | null;

  @Column('timestamptz', { name: 'latest_payment_at', nullable: true })
  latestPaymentAt: Date | null;

  /** Stripe `created` (unix seconds) of the subscription event whose snapshot the row holds. */
  @Column('bigint', { name: 'event_created', nullable: true, transformer: bigintNumber })
  eventCreated: number | null;

  /** Where `status` stands in the lifecycle; breaks ties between events of the same second. */
  @Column('smallint', { name: 'status_rank', nullable: true })
  statusRank: number | null;

  /** Stripe `created` (unix seconds) of the invoice event behind the latest payment fields. */
  @Column('bigint', { name: 'payment_event_created', nullable: true, transformer: bigintNumber })
  paymentEventCreated: number | null;

  /**
   * An account link being moved by an orphan claim or a relink: set when the claim is decided, before
   * Stripe is called, and cleared when it is applied. Another claim meanwhile is refused.
   */
  @Column('text', { name: 'link_pending_ref', nullable: true })
  linkPendingRef: string | null;

  /** When `linkPendingRef` was set, by the module's clock; a claim that never finished expires. */
  @Column('timestamptz', { name: 'link_pending_at', nullable: true })
  linkPendingAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
