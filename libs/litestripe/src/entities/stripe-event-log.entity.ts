import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * What became of a verified Stripe event:
 * - `processed`: applied;
 * - `link_conflict`: applied, but it named another account than the subscription is linked to, and the link did not move;
 * - `ignored`: not a type or object the module handles;
 * - `wrong_mode`: of the other mode than the API key's (a test endpoint's secret in a live app, or the reverse); not applied;
 * - `connected_account`: of a Connect account (`account` set); not applied;
 * - `pending`: in the inbox (`webhookProcessing: 'deferred'`), waiting to be applied;
 * - `failed`: applying it failed; Stripe retries it (inline) or it waits for an operator's retry (deferred, once attempts ran out).
 */
export type EventOutcome = 'processed' | 'link_conflict' | 'ignored' | 'wrong_mode' | 'connected_account' | 'pending' | 'failed';

/** An outcome an event is recorded with once it is settled: applied, or not to apply. */
export type RecordedOutcome = Exclude<EventOutcome, 'failed' | 'pending'>;

/** Every verified Stripe event, recorded once: the key that makes redelivery harmless. */
@Entity('litestripe_event')
// Where the pending and failed events are found: partial indexes, so the inbox stays small however long the log is.
@Index('litestripe_event_pending_idx', ['receivedAt'], { where: `"outcome" = 'pending'` })
@Index('litestripe_event_failed_idx', ['receivedAt'], { where: `"outcome" = 'failed'` })
// An account's timeline: the events of its subscriptions and customers.
@Index('litestripe_event_subscription_idx', ['subscriptionId', 'stripeCreated'], { where: `"subscription_id" IS NOT NULL` })
@Index('litestripe_event_customer_idx', ['customerId', 'stripeCreated'], { where: `"customer_id" IS NOT NULL` })
export class StripeEventLog {
  /** Stripe event id (`evt_...`). */
  @PrimaryColumn('text', { primaryKeyConstraintName: 'litestripe_event_pkey' })
  id: string;

  @Column('text')
  type: string;

  @Column('text', { name: 'api_version', nullable: true })
  apiVersion: string | null;

  @Column('boolean')
  livemode: boolean;

  /** Connected account the event came from, if any. */
  @Column('text', { nullable: true })
  account: string | null;

  /** When Stripe created the event. */
  @Index('litestripe_event_stripe_created_idx')
  @Column('timestamptz', { name: 'stripe_created' })
  stripeCreated: Date;

  @Column('timestamptz', { name: 'received_at', default: () => 'now()' })
  receivedAt: Date;

  @Column('timestamptz', { name: 'processed_at', nullable: true })
  processedAt: Date | null;

  @Column('text')
  outcome: EventOutcome;

  /** Processing attempts, the failed ones included. */
  @Column('integer', { default: 1 })
  attempts: number;

  @Column('text', { name: 'last_error', nullable: true })
  lastError: string | null;

  /** The subscription the event is about, if any (kept as long as the event). */
  @Column('text', { name: 'subscription_id', nullable: true })
  subscriptionId: string | null;

  /** The customer the event is about, if any (kept as long as the event). */
  @Column('text', { name: 'customer_id', nullable: true })
  customerId: string | null;

  /** What orders the event among others: its subscription (else customer, else object). Set while pending or failed. */
  @Column('text', { name: 'ordering_key', nullable: true })
  orderingKey: string | null;

  /** What the handler read from the payload (never the payload itself): kept while pending or failed, dropped once applied. */
  @Column('jsonb', { nullable: true })
  work: unknown;

  /** When an applier may take the pending event next: a lease while one applies it, or a retry's backoff. */
  @Column('timestamptz', { name: 'available_at', nullable: true })
  availableAt: Date | null;
}
