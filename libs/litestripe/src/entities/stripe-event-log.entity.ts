import { Column, Entity, PrimaryColumn } from 'typeorm';

/** What became of a verified Stripe event. */
export type EventOutcome = 'processed' | 'ignored' | 'failed';

/** Every verified Stripe event, recorded once: the key that makes redelivery harmless. */
@Entity('litestripe_event')
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
}
