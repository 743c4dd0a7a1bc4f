import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A domain event recorded in the same transaction as the state change that caused it, so a crash
 * between commit and emit loses nothing: undelivered entries are dispatched again.
 */
@Entity('litestripe_outbox')
@Index('litestripe_outbox_due_idx', ['availableAt'], { where: '"delivered_at" IS NULL AND "failed_at" IS NULL' })
@Index('litestripe_outbox_failed_idx', ['failedAt'], { where: '"failed_at" IS NOT NULL' })
export class DomainEventOutboxEntry {
  /** The payload's stable id (`<stripe event id>:<event name>`). */
  @PrimaryColumn('text', { primaryKeyConstraintName: 'litestripe_outbox_pkey' })
  id: string;

  /** Event name, e.g. `litestripe.subscription.activated`. */
  @Column('text')
  name: string;

  /** `json`, not `jsonb`: written and read back whole, never queried into, so PostgreSQL need not parse it into a tree. */
  @Column('json')
  payload: Record<string, unknown>;

  @Column('text', { name: 'stripe_event_id' })
  stripeEventId: string;

  /** The order entries were recorded in (brokers publish in it): a bigint, read as a decimal string. */
  @Column({ type: 'bigint', generated: 'identity', generatedIdentity: 'ALWAYS' })
  sequence: string;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;

  /** Not dispatched by anyone before this time: the lease of the instance dispatching it, or the retry backoff. */
  @Column('timestamptz', { name: 'available_at', default: () => 'now()' })
  availableAt: Date;

  /** Dispatch attempts so far. */
  @Column('integer', { default: 0 })
  attempts: number;

  @Column('timestamptz', { name: 'delivered_at', nullable: true })
  deliveredAt: Date | null;

  /** Set when the attempts ran out; the entry waits for an operator's retry. */
  @Column('timestamptz', { name: 'failed_at', nullable: true })
  failedAt: Date | null;

  @Column('text', { name: 'last_error', nullable: true })
  lastError: string | null;
}
